import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from '../../../shared/csp';

// The Electron glue (window.ts, menu.ts) against a stand-in of the few
// Electron objects it touches: no Electron binary can run on these machines.
// What it checks is the glue's own decisions — which page loads, which
// navigations and links are refused, whether DevTools exist.

type Listener = (event: { url: string; preventDefault: () => void }, url?: string) => void;

const electron = vi.hoisted(() => {
  const state = {
    windows: [] as FakeWindow[],
    schemes: [] as unknown[],
    handlers: new Map<string, (request: Request) => Promise<Response>>(),
    opened: [] as string[],
    menu: null as MenuItemConstructorOptions[] | null,
  };
  class FakeContents {
    listeners = new Map<string, Listener[]>();
    openHandler: ((details: { url: string }) => { action: string }) | null = null;
    mainFrame = { url: '', parent: null };
    on(name: string, listener: Listener) {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
      return this;
    }
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.openHandler = handler;
    }
    /** Emits like Electron: the details event carries the url, and old-style listeners get it second. */
    navigate(name: string, url: string): boolean {
      let prevented = false;
      const event = { url, preventDefault: () => void (prevented = true) };
      for (const listener of this.listeners.get(name) ?? []) listener(event, url);
      return prevented;
    }
  }
  class FakeWindow {
    webContents = new FakeContents();
    loaded: string | null = null;
    constructor(public options: { webPreferences: Record<string, unknown> }) {
      state.windows.push(this);
    }
    once() {
      return this;
    }
    loadURL(url: string) {
      this.loaded = url;
      this.webContents.mainFrame.url = url;
      return Promise.resolve();
    }
  }
  return { state, FakeWindow };
});

vi.mock('electron', () => ({
  BrowserWindow: electron.FakeWindow,
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => void electron.state.schemes.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) =>
      void electron.state.handlers.set(scheme, handler),
  },
  shell: { openExternal: (url: string) => Promise.resolve(void electron.state.opened.push(url)) },
  Menu: {
    buildFromTemplate: (template: MenuItemConstructorOptions[]) => template,
    setApplicationMenu: (menu: MenuItemConstructorOptions[]) => void (electron.state.menu = menu),
  },
}));

const { createMainWindow, registerAppScheme, rendererUrl, serveAppScheme } =
  await import('../../../src-main/window');
const { installMenu } = await import('../../../src-main/menu');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-window-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeEach(() => {
  electron.state.windows.length = 0;
  electron.state.opened.length = 0;
});

function openPackaged() {
  const window = createMainWindow({
    rendererUrl: rendererUrl(true, { VITE_DEV_SERVER_URL: 'http://127.0.0.1:5173/' }),
    preloadPath: '/app/preload.cjs',
    devTools: false,
  });
  return window as unknown as InstanceType<typeof electron.FakeWindow>;
}

describe('the desktop window', () => {
  it('loads app://vae-studio/index.html when packaged, the dev server only when not', () => {
    expect(openPackaged().loaded).toBe('app://vae-studio/index.html');
    expect(rendererUrl(false, { VITE_DEV_SERVER_URL: 'http://127.0.0.1:5173/' })).toBe(
      'http://127.0.0.1:5173/',
    );
    expect(rendererUrl(false, {})).toBe('app://vae-studio/index.html');
  });

  it('keeps the security defaults and has no DevTools when packaged', () => {
    expect(openPackaged().options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    const dev = createMainWindow({
      rendererUrl: 'http://127.0.0.1:5173/',
      preloadPath: '/p.cjs',
      devTools: true,
    });
    expect((dev as unknown as InstanceType<typeof electron.FakeWindow>).options.webPreferences.devTools).toBe(
      true,
    );
  });

  it.each([
    'file:///tmp/evil.html',
    `file://${path.join(work, 'dist', 'renderer', 'index.html')}`,
    'app://other-host/index.html',
    'http://127.0.0.1/',
    'https://example.com/',
    'javascript:alert(1)',
    'data:text/html,hi',
    'not a url',
  ])('refuses a navigation of any frame to %j', (url) => {
    const contents = openPackaged().webContents;
    expect(contents.navigate('will-navigate', url)).toBe(true);
    expect(contents.navigate('will-frame-navigate', url)).toBe(true);
  });

  it('lets the page reload itself and refuses every redirect', () => {
    const contents = openPackaged().webContents;
    expect(contents.navigate('will-navigate', 'app://vae-studio/index.html#/runs')).toBe(false);
    expect(contents.navigate('will-frame-navigate', 'app://vae-studio/index.html')).toBe(false);
    expect(contents.navigate('will-redirect', 'app://vae-studio/index.html')).toBe(true);
    expect(contents.navigate('will-attach-webview', 'app://vae-studio/index.html')).toBe(true);
  });

  it('opens no window; http(s) links go to the browser, nothing else does', () => {
    const contents = openPackaged().webContents;
    for (const url of ['https://www.npmjs.com/', 'file:///tmp/evil.html', 'app://vae-studio/index.html']) {
      expect(contents.openHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(electron.state.opened).toEqual(['https://www.npmjs.com/']);
  });

  it('registers app: as a privileged scheme and serves the renderer folder on it with the CSP', async () => {
    registerAppScheme();
    expect(electron.state.schemes).toEqual([
      {
        scheme: 'app',
        privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
      },
    ]);
    fs.mkdirSync(path.join(work, 'renderer'), { recursive: true });
    fs.writeFileSync(path.join(work, 'renderer', 'index.html'), '<!doctype html>');
    serveAppScheme(path.join(work, 'renderer'));
    const response = await electron.state.handlers.get('app')?.(new Request('app://vae-studio/index.html'));
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await response?.text()).toBe('<!doctype html>');
  });
});

describe('the application menu', () => {
  const roles = (items: MenuItemConstructorOptions[]): string[] =>
    items.flatMap((item) => [
      ...(item.role ? [item.role.toLowerCase()] : []),
      ...(Array.isArray(item.submenu) ? roles(item.submenu) : []),
    ]);

  it('has no DevTools entry in a packaged build', () => {
    installMenu(() => null, { devTools: false });
    expect(roles(electron.state.menu ?? [])).not.toContain('toggledevtools');
    expect(roles(electron.state.menu ?? [])).toContain('reload');
  });

  it('offers DevTools while developing', () => {
    installMenu(() => null, { devTools: true });
    expect(roles(electron.state.menu ?? [])).toContain('toggledevtools');
  });
});
