// What the desktop window trusts, as pure functions: no electron import, so
// unit tests can feed them every URL and sender they must refuse.
//
// Every file: URL has the opaque origin "null", so "same origin as our
// index.html" admitted any local file (a dropped .html, a file in /tmp). The
// renderer is therefore served from a custom scheme with a real origin,
// app://vae-studio, and trust means exactly that scheme, host and page path.

/** Scheme of the built renderer in the desktop app. */
export const appScheme = 'app';
/** The one host of that scheme; any other host is refused, not served. */
export const appHost = 'vae-studio';
/** The page the desktop window loads. */
export const appPageUrl = `${appScheme}://${appHost}/index.html`;

/**
 * Privileges of the app scheme, for `protocol.registerSchemesAsPrivileged`:
 * standard (a real origin, relative URLs, same-origin module workers), secure
 * (a secure context, like https), fetch, and V8's code cache (the app's scripts compile
 * once, not at every start). Not `bypassCSP`: the page keeps its policy.
 */
export const appSchemePrivileges = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

/** The page the window shows: its URL split into what must match exactly. */
export interface TrustedPage {
  protocol: string;
  host: string;
  pathname: string;
}

/** The trusted page for the URL the window loads (the app page, or the dev server in `npm run dev`). */
export function trustedPageFor(pageUrl: string): TrustedPage {
  const url = new URL(pageUrl);
  return { protocol: url.protocol, host: url.host, pathname: url.pathname };
}

/**
 * True only for the trusted page itself (any query or hash, which the
 * renderer's router uses): same scheme, host (with port) and path, no
 * credentials. A file: URL, another host, another path, javascript:, data:,
 * about:blank and anything unparsable are refused.
 */
export function isTrustedPageUrl(candidate: string, page: TrustedPage): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return (
    url.protocol === page.protocol &&
    url.host === page.host &&
    url.host !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === page.pathname
  );
}

/** May a frame of the window navigate to `target`? Only to the app's own page (e.g. a reload by URL). */
export function isAllowedNavigation(target: string, page: TrustedPage): boolean {
  return isTrustedPageUrl(target, page);
}

/** Where a link asking for a new window may go instead: the user's browser, for http(s) only. */
export function externalLinkTarget(target: string): string | null {
  try {
    const url = new URL(target);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The parts of a frame (Electron's WebFrameMain) the sender check reads. */
export interface FrameLike {
  url: string;
  parent: unknown;
}

/** The parts of an IPC event (Electron's IpcMainInvokeEvent) the sender check reads. */
export interface SenderLike {
  sender: unknown;
  senderFrame: FrameLike | null;
}

/** The parts of the main window (a BrowserWindow) the sender check reads. */
export interface WindowLike {
  webContents: { mainFrame: FrameLike };
}

/**
 * Is this IPC message from the app's own page? Only the main window's top
 * frame, while it shows the trusted page: not another window, not a subframe,
 * not a frame that has gone (null), not the window after it was navigated
 * elsewhere.
 */
export function isTrustedSender(event: SenderLike, window: WindowLike | null, page: TrustedPage): boolean {
  if (window === null) return false;
  const frame = event.senderFrame;
  return (
    event.sender === window.webContents &&
    frame !== null &&
    frame === window.webContents.mainFrame &&
    frame.parent === null &&
    isTrustedPageUrl(frame.url, page)
  );
}
