import { contextBridge, ipcRenderer } from 'electron';
import { buildCalls, ListenerMap } from '../shared/api-client';
import { eventChannel, isEventName, preloadGlobalName, type VaeApi } from '../shared/contract';
import type { Result } from '../shared/result';

// Sandboxed preload: bundled into one file (vite.preload.config.ts) because a
// sandboxed preload cannot require local modules. It exposes a fixed object —
// one function per command of the contract, and `on` — never ipcRenderer
// itself, a generic invoke, or Electron's event object.

const listeners = new ListenerMap();
ipcRenderer.on(eventChannel, (_event, name: unknown, payload: unknown) => {
  if (isEventName(name)) listeners.emit(name, payload);
});

const api = {
  call: buildCalls((command, arg) => ipcRenderer.invoke(command, arg) as Promise<Result<unknown>>),
  on: (event, listener) => listeners.on(event, listener),
} satisfies VaeApi;

contextBridge.exposeInMainWorld(preloadGlobalName, api);
