import { createSocketApi } from '../../shared/api-client';
import {
  firstParam,
  preloadGlobalName,
  uploadPath,
  uploadTokenHeader,
  wsPath,
  type VaeApi,
} from '../../shared/contract';
import type { Result } from '../../shared/result';
import { encodeWire } from '../../shared/wire';
import { whenIdle } from '../lib/frame';
import { withPrefetch, type EarlyQuestion, type PrefetchingApi } from './prefetch';
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

let connecting: Promise<PrefetchingApi> | null = null;

/**
 * Connects to the core through whichever transport this page has, once: the page's first
 * script starts it (boot.ts) while the app's scripts load, and the app takes the same
 * connection. `first` is asked at once, its answer kept for the first call that asks the same.
 */
export function connect(first?: EarlyQuestion): Promise<PrefetchingApi> {
  connecting ??= open(first).then(({ api, firstAnswer }) => {
    const prefetching = withPrefetch(api);
    if (first) prefetching.prefetch(first, firstAnswer ?? undefined);
    return prefetching;
  });
  return connecting;
}

/** The id of a request that rides in the socket's URL; the client's own ids start at 1. */
const firstId = 0;

async function open(
  first: EarlyQuestion | undefined,
): Promise<{ api: VaeApi; firstAnswer: Promise<Result<unknown>> | null }> {
  const viaPreload = preloadApi();
  if (viaPreload) return { api: viaPreload, firstAnswer: null };
  const token = takeToken(window.location, window.sessionStorage, window.history);
  if (!token) {
    throw new ConnectError(
      'This page needs its access token: open the full URL printed by `vae-studio serve` (it ends in ?token=…).',
    );
  }
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${protocol}//${window.location.host}${wsPath}?token=${encodeURIComponent(token)}`;
  // The first question rides in the URL: the server answers it as the connection opens, while
  // a question sent after 'open' would wait for this page's thread to see the socket open,
  // and at start-up that thread is busy with the app's scripts.
  const firstFrame = first ? encodeWire({ id: firstId, command: first.command, arg: first.arg }) : null;
  const socket = new WebSocket(firstFrame ? `${url}&${firstParam}=${encodeURIComponent(firstFrame)}` : url);
  // Listening from the start: that answer may come right behind 'open'.
  const api = createSocketApi(socket);
  const firstAnswer = firstFrame ? api.answerTo(firstId) : null;
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
  return { api: withSnapshotsOffThread(api, url), firstAnswer };
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
  // Started soon after the connection, not at the first epoch's end: starting a worker takes
  // the page's thread a few ms, and loading its script takes the worker longer. Not before
  // the page is idle, though: at start-up those ms came before the first view's rows.
  whenIdle(() => void snapshotWorker());
  return { ...api, call: { ...api.call, 'runs:snapshot': snapshot } };
}

/** One file to upload and its place in the upload (`class/image.png`). */
export interface UploadFile {
  file: File;
  path: string;
}

/** Largest upload the page sends; the server holds every upload to the same cap. */
export const maxUploadBytes = 2 ** 31;

/**
 * Sends files to browser mode's upload endpoint one at a time, reporting bytes sent;
 * resolves the upload's id for `datasets:importUpload`, or a sentence saying why not
 * (the server has dropped the upload by then).
 */
export async function uploadFiles(
  files: UploadFile[],
  onProgress: (sent: number, total: number) => void,
): Promise<{ ok: true; uploadId: string } | { ok: false; message: string }> {
  const total = files.reduce((sum, f) => sum + f.file.size, 0);
  if (total > maxUploadBytes) {
    return {
      ok: false,
      message: `These files come to ${Math.round(total / 2 ** 20)} MB, more than the 2 GB an upload may hold; import a smaller set, or run \`vae-studio datasets import\` on the server.`,
    };
  }
  const token = window.sessionStorage.getItem(tokenKey);
  if (!token)
    return {
      ok: false,
      message: 'This page has lost its access token: open the URL printed by `vae-studio serve`.',
    };
  const uploadId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  const base = `${uploadPath}/${uploadId}`;
  let sent = 0;
  for (const { file, path } of files) {
    const url = `${base}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const answer = await new Promise<{ status: number; text: string }>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      xhr.setRequestHeader(uploadTokenHeader, token);
      xhr.upload.addEventListener('progress', (e) => onProgress(sent + e.loaded, total));
      xhr.addEventListener('load', () => resolve({ status: xhr.status, text: xhr.responseText }));
      xhr.addEventListener('error', () => resolve({ status: 0, text: '' }));
      xhr.addEventListener('abort', () => resolve({ status: 0, text: '' }));
      xhr.send(file);
    });
    if (answer.status !== 204) {
      // The server drops the upload itself on a refused file; this covers a connection that broke.
      void fetch(base, { method: 'DELETE', headers: { [uploadTokenHeader]: token } }).catch(() => undefined);
      return {
        ok: false,
        message:
          answer.status === 0
            ? `The upload broke off at ${path}; nothing was kept. Check the connection and try again.`
            : answer.text.trim() || `The server refused ${path} (HTTP ${answer.status}).`,
      };
    }
    sent += file.size;
    onProgress(sent, total);
  }
  return { ok: true, uploadId };
}
