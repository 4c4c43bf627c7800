import { BrowserWindow, protocol, shell, type Session, type WebContents } from 'electron';
import { contentSecurityPolicy } from '../shared/csp';
import {
  appPageUrl,
  appScheme,
  appSchemePrivileges,
  externalLinkTarget,
  isAllowedNavigation,
  trustedPageFor,
  type TrustedPage,
} from './platform/app-origin';
import { createAppProtocolHandler } from './platform/app-protocol';

export interface WindowOptions {
  /** The page to load: app://vae-studio/index.html, or a dev server URL (npm run dev). */
  rendererUrl: string;
  preloadPath: string;
  /** DevTools only in development: never in a packaged build. */
  devTools: boolean;
}

/**
 * The renderer's URL: the Vite dev server in `npm run dev`, else the built
 * files on the app scheme. A packaged app ignores VITE_DEV_SERVER_URL, so an
 * environment variable cannot point the window (and the API) at another page.
 */
export function rendererUrl(isPackaged: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const dev = env.VITE_DEV_SERVER_URL;
  return !isPackaged && dev ? dev : appPageUrl;
}

/** Must run before the app is ready: gives app:// a real origin (not file:'s opaque "null"). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { ...appSchemePrivileges } }]);
}

/** Serves the built renderer folder on app://vae-studio/ (after ready, on the default session). */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(appScheme, createAppProtocolHandler(rendererDir));
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

/**
 * The app is one page: a navigation of any frame away from it (a dropped
 * file, a link, a script setting location) is refused, as are redirects,
 * webviews and new windows; http(s) links open in the user's browser instead.
 */
export function guardWebContents(contents: WebContents, page: TrustedPage): void {
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url, page)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAllowedNavigation(event.url, page)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url: target }) => {
    const external = externalLinkTarget(target);
    if (external !== null) void shell.openExternal(external);
    return { action: 'deny' };
  });
}

/** The one main window, with Electron's security defaults made explicit. */
export function createMainWindow({ rendererUrl: url, preloadPath, devTools }: WindowOptions): BrowserWindow {
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
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools,
      spellcheck: false,
    },
  });
  guardWebContents(window.webContents, trustedPageFor(url));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
  return window;
}
