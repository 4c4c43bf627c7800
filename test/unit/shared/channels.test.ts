import { describe, expect, it } from 'vitest';
import { commandNames, eventChannel, eventNames, preloadGlobalName, wsPath } from '../../../shared/contract';

describe('channel names', () => {
  it('pushes events on one IPC channel that no command handler listens on', () => {
    expect(eventChannel).toBe('vae:event');
    // Commands are ipcMain.handle channels named after themselves: a clash would route events to a handler.
    expect(commandNames as readonly string[]).not.toContain(eventChannel);
    expect(eventNames as readonly string[]).not.toContain(eventChannel);
  });

  it('names the preload global and the WebSocket path', () => {
    expect(preloadGlobalName).toBe('vaeStudio');
    expect(wsPath).toBe('/api');
  });
});
