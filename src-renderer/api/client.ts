import { createSocketApi } from '../../shared/api-client';
import { preloadGlobalName, wsPath, type VaeApi } from '../../shared/contract';
import type { SnapshotAnswer, SnapshotRequest } from './snapshot-worker';

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
  const url = `${protocol}//${window.location.host}${wsPath}?token=${encodeURIComponent(token)}`;
  const socket = new WebSocket(url);
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
  return withSnapshotsOffThread(createSocketApi(socket), url);
}

/**
 * The same API, but snapshots come through a worker with its own connection,
 * where one can start. A snapshot is hundreds of KB of base64 typed arrays:
 * decoding one takes 15–25 ms, several times that on a machine busy training,
 * which the page's thread cannot spare at each epoch's end. Where the worker
 * cannot start or connect, they come over the page's connection as before.
 * (The desktop app's preload hands typed arrays over without any decoding.)
 */
export function withSnapshotsOffThread<A extends VaeApi>(api: A, url: string): A {
  let worker: Worker | null | undefined;
  let nextId = 1;
  const pending = new Map<number, (answer: SnapshotAnswer['result']) => void>();

  function snapshotWorker(): Worker | null {
    if (worker !== undefined) return worker;
    worker = null;
    if (typeof Worker === 'undefined') return null;
    try {
      const started = new Worker(new URL('./snapshot-worker.ts', import.meta.url), {
        type: 'module',
        name: 'snapshots',
      });
      started.onmessage = (event: MessageEvent<SnapshotAnswer>) => {
        const resolve = pending.get(event.data.id);
        pending.delete(event.data.id);
        resolve?.(event.data.result);
      };
      // A worker that could not start: what it was asked goes over the page's connection.
      started.onerror = (event) => {
        event.preventDefault();
        started.terminate();
        worker = null;
        for (const resolve of pending.values()) resolve(null);
        pending.clear();
      };
      worker = started;
    } catch {
      worker = null;
    }
    return worker;
  }

  const overPage = api.call['runs:snapshot'];
  const snapshot: VaeApi['call']['runs:snapshot'] = async (arg) => {
    const target = snapshotWorker();
    if (target) {
      const id = nextId++;
      const answer = await new Promise<SnapshotAnswer['result']>((resolve) => {
        pending.set(id, resolve);
        target.postMessage({ id, url, arg } satisfies SnapshotRequest);
      });
      if (answer) return answer;
    }
    return overPage(arg);
  };
  // Started with the connection, not at the first epoch's end: starting a worker takes the
  // page's thread a few ms, and loading its script takes the worker longer.
  snapshotWorker();
  return { ...api, call: { ...api.call, 'runs:snapshot': snapshot } };
}
