import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { commandNames } from '../../shared/contract';
import { err } from '../../shared/result';
import type { Core } from '../core/core';
import { isTrustedSender, type TrustedPage, type WindowLike } from '../platform/app-origin';

/** Channel on which main pushes contract events to the window. */
export const eventChannel = 'vae:event';

export interface IpcTransportOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  core: Core;
  /** The app's window; looked up on each message because it can be recreated. */
  mainWindow: () => WindowLike | null;
  /** The page that window must show for its messages to be answered (app://vae-studio/index.html). */
  page: TrustedPage;
  /** Where events go; looked up on each event because the window can be recreated. */
  targets: () => WebContents[];
}

/**
 * Registers one `ipcMain.handle` per command of the contract (and nothing
 * else), each refusing messages from anything but the app's own window.
 * Returns a function that removes them.
 */
export function registerIpcTransport(options: IpcTransportOptions): () => void {
  const { ipcMain, core, mainWindow, page, targets } = options;
  for (const name of commandNames) {
    ipcMain.handle(name, async (event: IpcMainInvokeEvent, arg: unknown) => {
      // Only the main window's top frame, showing our own page, may call the API.
      if (!isTrustedSender(event, mainWindow(), page))
        return err('forbidden', 'This window may not use the VAE Studio API.');
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
