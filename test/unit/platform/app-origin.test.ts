import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  appPageUrl,
  appSchemePrivileges,
  externalLinkTarget,
  isAllowedNavigation,
  isTrustedSender,
  trustedPageFor,
  type FrameLike,
  type WindowLike,
} from '../../../src-main/platform/app-origin';

const page = trustedPageFor(appPageUrl);
// The built renderer's own index.html as a file: URL — what the window used to load.
const builtIndex = pathToFileURL(path.resolve('dist', 'renderer', 'index.html')).href;

// Every URL a frame could show or be sent to that is not the app's page.
const foreign = [
  'file:///tmp/evil.html',
  builtIndex,
  'file:///',
  'app://other-host/index.html',
  'app://other-host/',
  'app://vae-studio.evil/index.html',
  'app://vae-studio:8080/index.html',
  'app://user@vae-studio/index.html',
  'app://vae-studio/evil.html',
  'app://vae-studio/assets/index.js',
  'app://vae-studio/',
  'app://vae-studio/index.html/../evil.html',
  'vae-studio://vae-studio/index.html',
  'http://127.0.0.1/',
  'http://127.0.0.1:5173/',
  'https://vae-studio/index.html',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'about:blank',
  'blob:app://vae-studio/0b5c0d2e-1111-2222-3333-444455556666',
  'devtools://devtools/bundled/inspector.html',
  '',
  'not a url',
];

describe('the desktop window trusts app://vae-studio/index.html only', () => {
  it('names a standard, secure, fetch-capable scheme with a code cache that keeps its CSP', () => {
    expect(appPageUrl).toBe('app://vae-studio/index.html');
    expect(appSchemePrivileges).toEqual({
      standard: true,
      secure: true,
      supportFetchAPI: true,
      codeCache: true,
    });
    expect(page).toEqual({ protocol: 'app:', host: 'vae-studio', pathname: '/index.html' });
  });

  it('allows navigation to the page itself, with any query or hash', () => {
    for (const url of [appPageUrl, `${appPageUrl}#/runs`, `${appPageUrl}?token=x#/compare`]) {
      expect(isAllowedNavigation(url, page), url).toBe(true);
    }
  });

  it.each(foreign)('refuses navigation to %j', (url) => {
    expect(isAllowedNavigation(url, page)).toBe(false);
  });

  it('trusts the dev server page only in its own dev mode', () => {
    const dev = trustedPageFor('http://127.0.0.1:5173/');
    expect(isAllowedNavigation('http://127.0.0.1:5173/#/runs', dev)).toBe(true);
    expect(isAllowedNavigation('http://127.0.0.1:5174/', dev)).toBe(false);
    expect(isAllowedNavigation('http://localhost:5173/', dev)).toBe(false);
    expect(isAllowedNavigation('file:///tmp/evil.html', dev)).toBe(false);
    expect(isAllowedNavigation(appPageUrl, dev)).toBe(false);
  });

  it('opens only http(s) links outside, in the browser', () => {
    expect(externalLinkTarget('https://www.npmjs.com/package/vae-studio')).toBe(
      'https://www.npmjs.com/package/vae-studio',
    );
    expect(externalLinkTarget('http://example.com')).toBe('http://example.com/');
    for (const url of ['file:///tmp/evil.html', 'javascript:alert(1)', 'app://vae-studio/index.html', 'x']) {
      expect(externalLinkTarget(url), url).toBeNull();
    }
  });
});

describe('IPC sender check', () => {
  function setup(url: string) {
    const mainFrame: FrameLike = { url, parent: null };
    const webContents = { mainFrame };
    const window: WindowLike = { webContents };
    return { mainFrame, webContents, window };
  }

  it('trusts the main window top frame showing the app page', () => {
    const { mainFrame, webContents, window } = setup(`${appPageUrl}#/runs`);
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, window, page)).toBe(true);
  });

  it.each(foreign)('refuses the main frame once it shows %j', (url) => {
    const { mainFrame, webContents, window } = setup(url);
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, window, page)).toBe(false);
  });

  it('refuses a subframe, even one showing the app page', () => {
    const { mainFrame, webContents, window } = setup(appPageUrl);
    const subframe: FrameLike = { url: appPageUrl, parent: mainFrame };
    expect(isTrustedSender({ sender: webContents, senderFrame: subframe }, window, page)).toBe(false);
  });

  it('refuses a frame that claims to be top-level but is not the main frame', () => {
    const { webContents, window } = setup(appPageUrl);
    const other: FrameLike = { url: appPageUrl, parent: null };
    expect(isTrustedSender({ sender: webContents, senderFrame: other }, window, page)).toBe(false);
  });

  it('refuses another window, even one showing the app page', () => {
    const { window } = setup(appPageUrl);
    const other = setup(appPageUrl);
    expect(isTrustedSender({ sender: other.webContents, senderFrame: other.mainFrame }, window, page)).toBe(
      false,
    );
  });

  it('refuses a gone frame and a closed window', () => {
    const { mainFrame, webContents, window } = setup(appPageUrl);
    expect(isTrustedSender({ sender: webContents, senderFrame: null }, window, page)).toBe(false);
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, null, page)).toBe(false);
  });
});
