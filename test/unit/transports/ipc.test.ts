import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { commandNames } from '../../../shared/contract';
import { createCore } from '../../../src-main/core/core';
import { appPageUrl, trustedPageFor, type FrameLike } from '../../../src-main/platform/app-origin';
import { eventChannel, registerIpcTransport } from '../../../src-main/transports/ipc';

type Handler = (event: IpcMainInvokeEvent, arg: unknown) => Promise<unknown>;

// The app window as the sender check sees it: its contents and top frame.
const mainFrame: FrameLike = { url: `${appPageUrl}#/about`, parent: null };
const appContents = { mainFrame };
const fromApp = { sender: appContents, senderFrame: mainFrame } as unknown as IpcMainInvokeEvent;

function setup(pageUrl = appPageUrl) {
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
    mainWindow: () => ({ webContents: appContents }),
    page: trustedPageFor(pageUrl),
    targets: () => [window, gone],
  });
  return { handlers, sent, core, dispose };
}

describe('Electron IPC transport', () => {
  it('registers exactly one handler per command of the contract', () => {
    const { handlers, dispose } = setup();
    expect([...handlers.keys()].sort()).toEqual([...commandNames].sort());
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('dispatches messages from the app window', async () => {
    const { handlers } = setup();
    const result = (await handlers.get('app:info')?.(fromApp, {})) as {
      ok: boolean;
      value: { shell: string };
    };
    expect(result.ok).toBe(true);
    expect(result.value.shell).toBe('electron');
    expect(await handlers.get('app:info')?.(fromApp, { bad: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
  });

  it('refuses messages from any other sender', async () => {
    const { handlers } = setup();
    const forbidden = {
      ok: false,
      error: { code: 'forbidden', message: 'This window may not use the VAE Studio API.' },
    };
    const frame = (url: string, parent: FrameLike | null = null): FrameLike => ({ url, parent });
    const senders: [string, unknown][] = [
      ['no sender at all', {}],
      ['a frame showing a local file', { sender: appContents, senderFrame: frame('file:///tmp/evil.html') }],
      ['a subframe of the app page', { sender: appContents, senderFrame: frame(appPageUrl, mainFrame) }],
      ['another window', { sender: { mainFrame }, senderFrame: frame(appPageUrl) }],
      ['a frame that has gone', { sender: appContents, senderFrame: null }],
    ];
    for (const [what, sender] of senders) {
      expect(await handlers.get('app:info')?.(sender as IpcMainInvokeEvent, {}), what).toEqual(forbidden);
    }
    // The main frame itself, once navigated to a local file: the page the old check let through.
    mainFrame.url = 'file:///tmp/evil.html';
    try {
      expect(await handlers.get('runs:list')?.(fromApp, {})).toEqual(forbidden);
    } finally {
      mainFrame.url = `${appPageUrl}#/about`;
    }
  });

  it('refuses the app page when the window is meant to show the dev server', async () => {
    const { handlers } = setup('http://127.0.0.1:5173/');
    expect(await handlers.get('app:info')?.(fromApp, {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('forwards events to live windows only', () => {
    const { core, sent } = setup();
    core.events.emit('app:notice', { level: 'info', message: 'hello' });
    expect(sent).toEqual([[eventChannel, 'app:notice', { level: 'info', message: 'hello' }]]);
  });
});
