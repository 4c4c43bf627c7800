import { BrowserWindow, shell, type Session } from 'electron';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../shared/csp';

export interface WindowOptions {
  /** Built renderer's index.html, or a dev server URL (npm run dev). */
  rendererUrl: string;
  preloadPath: string;
}

/** The renderer's URL: the Vite dev server in `npm run dev`, else the built files. */
export function rendererUrl(distDir: string): string {
  const dev = process.env.VITE_DEV_SERVER_URL;
  return dev ?? pathToFileURL(path.join(distDir, 'renderer', 'index.html')).toString();
}

/** Headers and permission policy for the window's session: CSP on every response, every permission denied. */
export function hardenSession(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [contentSecurityPolicy],
      },
    });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** The one main window, with Electron's security defaults made explicit. */
export function createMainWindow({ rendererUrl: url, preloadPath }: WindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'VAE Studio',
    backgroundColor: '#111318',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  const origin = new URL(url).origin;
  const contents = window.webContents;
  // The app is one page: any navigation away (a dropped file, a link) is refused;
  // http(s) links open in the user's browser instead of inside the app.
  contents.on('will-navigate', (event, target) => {
    if (new URL(target).origin !== origin) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url: target }) => {
    if (/^https?:\/\//.test(target)) void shell.openExternal(target);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
  return window;
}
