import {
  commandNames,
  isEventName,
  type CommandName,
  type EventName,
  type EventPayload,
  type Unsubscribe,
  type VaeApi,
} from './contract';
import { err, type Result } from './result';
import { decodeWire, encodeWire } from './wire';

type Invoke = (command: CommandName, arg: unknown) => Promise<Result<unknown>>;

/** Builds the fixed `call` object (one function per command) over an invoke function. */
export function buildCalls(invoke: Invoke): VaeApi['call'] {
  const call: Partial<Record<CommandName, (arg: unknown) => Promise<Result<unknown>>>> = {};
  for (const name of commandNames) call[name] = (arg) => invoke(name, arg);
  return call as VaeApi['call'];
}

/** Keeps event listeners by name; `emit` delivers to a copy so listeners may unsubscribe themselves. */
export class ListenerMap {
  private readonly map = new Map<EventName, Set<(payload: never) => void>>();

  on<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): Unsubscribe {
    let set = this.map.get(event);
    if (!set) this.map.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(event: EventName, payload: unknown): void {
    for (const listener of [...(this.map.get(event) ?? [])]) {
      (listener as (payload: unknown) => void)(payload);
    }
  }
}

/** The little a WebSocket must offer: the browser's and the `ws` package's both do. */
export interface SocketLike {
  send(text: string): void;
  close(): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
}

/**
 * A {@link VaeApi} over an open WebSocket to browser mode, plus `close`, and `answerTo(id)`:
 * the answer to a request this client did not send itself (the one a socket's URL carried).
 */
export function createSocketApi(
  socket: SocketLike,
): VaeApi & { close(): void; answerTo(id: number): Promise<Result<unknown>> } {
  let nextId = 1;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new ListenerMap();
  let closed = false;

  socket.addEventListener('message', ({ data }) => {
    if (typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = decodeWire(data);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    const record = frame as { id?: unknown; result?: unknown; event?: unknown; payload?: unknown };
    if (typeof record.id === 'number' && record.result !== undefined) {
      const resolve = pending.get(record.id);
      pending.delete(record.id);
      resolve?.(record.result as Result<unknown>);
    } else if (isEventName(record.event)) {
      listeners.emit(record.event, record.payload);
    }
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const resolve of pending.values()) {
      resolve(err('unavailable', 'The connection to VAE Studio was closed; reload the page.'));
    }
    pending.clear();
  });

  const invoke: Invoke = (command, arg) => {
    if (closed)
      return Promise.resolve(err('unavailable', 'The connection to VAE Studio is closed; reload the page.'));
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(encodeWire({ id, command, arg }));
    });
  };
  return {
    call: buildCalls(invoke),
    on: (event, listener) => listeners.on(event, listener),
    close: () => socket.close(),
    answerTo: (id) =>
      closed
        ? Promise.resolve(err('unavailable', 'The connection to VAE Studio is closed; reload the page.'))
        : new Promise((resolve) => pending.set(id, resolve)),
  };
}
