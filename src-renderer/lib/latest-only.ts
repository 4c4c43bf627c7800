/**
 * Wraps an async call so at most one runs at a time and, while it runs, only
 * the newest request waits: hover decoding keeps up with the pointer instead
 * of queueing every position it passed through.
 */
export function latestOnly<A, R>(
  call: (arg: A) => Promise<R>,
  onResult: (result: R, arg: A) => void,
): { request(arg: A): void; cancel(): void } {
  let running = false;
  let pending: { arg: A } | null = null;
  let cancelled = false;
  async function run(arg: A): Promise<void> {
    running = true;
    try {
      const result = await call(arg);
      if (!cancelled && pending === null) onResult(result, arg);
    } finally {
      running = false;
      const next = pending;
      pending = null;
      if (next && !cancelled) void run(next.arg);
    }
  }
  return {
    request(arg: A) {
      cancelled = false;
      if (running) pending = { arg };
      else void run(arg);
    },
    cancel() {
      cancelled = true;
      pending = null;
    },
  };
}
