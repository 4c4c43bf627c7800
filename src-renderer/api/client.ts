import { createSocketApi } from '../../shared/api-client';
import { preloadGlobalName, wsPath, type VaeApi } from '../../shared/contract';

// The only module that knows how the renderer reaches the core: the Electron
// preload's object when it exists, else a WebSocket to browser mode.

/** Why the client could not connect, in words for the user. */
export class ConnectError extends Error {}

const tokenKey = 'vae-studio-token';

/** Reads the per-launch token from the URL (then hides it from the address bar) or from this tab's storage. */
export function takeToken(location: Location, storage: Storage, history: History): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(tokenKey, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.toString());
    return fromUrl;
  }
  return storage.getItem(tokenKey);
}

function preloadApi(): VaeApi | null {
  const candidate = (globalThis as Record<string, unknown>)[preloadGlobalName];
  return candidate ? (candidate as VaeApi) : null;
}

/** Connects to the core through whichever transport this page has. */
export async function connect(): Promise<VaeApi> {
  const viaPreload = preloadApi();
  if (viaPreload) return viaPreload;
  const token = takeToken(window.location, window.sessionStorage, window.history);
  if (!token) {
    throw new ConnectError(
      'This page needs its access token: open the full URL printed by `vae-studio serve` (it ends in ?token=…).',
    );
  }
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(
    `${protocol}//${window.location.host}${wsPath}?token=${encodeURIComponent(token)}`,
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener(
      'error',
      () => {
        window.sessionStorage.removeItem(tokenKey);
        reject(
          new ConnectError(
            'Could not connect to VAE Studio: the token is wrong or stale, or the server has stopped. ' +
              'Open the URL that `vae-studio serve` printed most recently.',
          ),
        );
      },
      { once: true },
    );
  });
  return createSocketApi(socket);
}
