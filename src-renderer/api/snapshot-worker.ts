import { createSocketApi } from '../../shared/api-client';
import type { CommandArg, CommandResult, VaeApi } from '../../shared/contract';
import type { Result } from '../../shared/result';

// Browser mode's second connection, in a worker: it asks for snapshots and
// decodes them (hundreds of KB of base64 typed arrays) away from the page's
// thread, then hands their arrays over to the page without copying them.
// An answer of null tells the page to ask over its own connection instead.

export type SnapshotRequest = { id: number; url: string; arg: CommandArg<'runs:snapshot'> };
export type SnapshotAnswer = { id: number; result: Result<CommandResult<'runs:snapshot'>> | null };

let connection: Promise<VaeApi> | null = null;

function connect(url: string): Promise<VaeApi> {
  const socket = new WebSocket(url);
  const opened = new Promise<VaeApi>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(createSocketApi(socket)), { once: true });
    socket.addEventListener('error', () => reject(new Error('No connection')), { once: true });
  });
  // Closed (the server stopped, or it never opened): the next request connects again.
  socket.addEventListener('close', () => {
    if (connection === opened) connection = null;
  });
  return opened;
}

/** The buffers of every typed array in a value, to hand over rather than copy. */
function buffersOf(value: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (!out.includes(value.buffer as ArrayBuffer)) out.push(value.buffer as ArrayBuffer);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) buffersOf(v, out);
  }
  return out;
}

self.onmessage = async (event: MessageEvent<SnapshotRequest>) => {
  const { id, url, arg } = event.data;
  let result: SnapshotAnswer['result'] = null;
  try {
    connection ??= connect(url);
    result = await (await connection).call['runs:snapshot'](arg);
    // The connection dropped while asking: the page's own may still be up.
    if (!result.ok && result.error.code === 'unavailable') result = null;
  } catch {
    connection = null;
    result = null;
  }
  try {
    self.postMessage({ id, result } satisfies SnapshotAnswer, {
      transfer: result?.ok ? buffersOf(result.value) : [],
    });
  } catch {
    // Not transferable after all: the page asks for it itself.
    self.postMessage({ id, result: null } satisfies SnapshotAnswer);
  }
};
