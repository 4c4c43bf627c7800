import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { commandNames, eventChannel } from '../../../shared/contract';
import { createCore } from '../../../src-main/core/core';
import { registerIpcTransport } from '../../../src-main/transports/ipc';

type Handler = (event: IpcMainInvokeEvent, arg: unknown) => Promise<unknown>;

function setup(trusted: boolean) {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (channel: string, handler: Handler) => void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const sent: unknown[][] = [];
  const window = {
    isDestroyed: () => false,
    send: (...args: unknown[]) => void sent.push(args),
  } as unknown as WebContents;
  const gone = { isDestroyed: () => true, send: () => sent.push(['gone']) } as unknown as WebContents;
  const core = createCore({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vae-ipc-')),
    shell: 'electron',
    version: '1.0.0',
  });
  const dispose = registerIpcTransport({
    ipcMain,
    core,
    isTrustedSender: () => trusted,
    targets: () => [window, gone],
  });
  return { handlers, sent, core, dispose };
}

const event = {} as IpcMainInvokeEvent;

describe('Electron IPC transport', () => {
  it('registers exactly one handler per command of the contract', () => {
    const { handlers, dispose } = setup(true);
    expect([...handlers.keys()].sort()).toEqual([...commandNames].sort());
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('dispatches messages from the app window', async () => {
    const { handlers } = setup(true);
    const result = (await handlers.get('app:info')?.(event, {})) as { ok: boolean; value: { shell: string } };
    expect(result.ok).toBe(true);
    expect(result.value.shell).toBe('electron');
    expect(await handlers.get('app:info')?.(event, { bad: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
  });

  it('refuses messages from any other sender', async () => {
    const { handlers } = setup(false);
    expect(await handlers.get('app:info')?.(event, {})).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'This window may not use the VAE Studio API.' },
    });
  });

  it('forwards events to live windows only', () => {
    const { core, sent } = setup(true);
    core.events.emit('app:notice', { level: 'info', message: 'hello' });
    expect(sent).toEqual([[eventChannel, 'app:notice', { level: 'info', message: 'hello' }]]);
  });
});
