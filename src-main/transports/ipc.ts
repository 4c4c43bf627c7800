import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { commandNames, eventChannel } from '../../shared/contract';
import { err } from '../../shared/result';
import type { Core } from '../core/core';

export interface IpcTransportOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  core: Core;
  /** True only for the app's own window and its own page (not a navigated or injected frame). */
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  /** Where events go; looked up on each event because the window can be recreated. */
  targets: () => WebContents[];
}

/**
 * Registers one `ipcMain.handle` per command of the contract (and nothing
 * else), each refusing messages from anything but the app's own window.
 * Returns a function that removes them.
 */
export function registerIpcTransport(options: IpcTransportOptions): () => void {
  const { ipcMain, core, isTrustedSender, targets } = options;
  for (const name of commandNames) {
    ipcMain.handle(name, async (event, arg: unknown) => {
      if (!isTrustedSender(event)) return err('forbidden', 'This window may not use the VAE Studio API.');
      return core.dispatch(name, arg);
    });
  }
  const unsubscribe = core.events.onAny((event, payload) => {
    for (const contents of targets()) {
      if (!contents.isDestroyed()) contents.send(eventChannel, event, payload);
    }
  });
  return () => {
    unsubscribe();
    for (const name of commandNames) ipcMain.removeHandler(name);
  };
}
