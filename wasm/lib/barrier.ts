// A reusable barrier for the threads of one threaded export: every thread
// calls barrier(at, threads) between two phases and returns once all have
// arrived. `at` is 8 bytes of shared memory, zero before first use: the count
// of threads arrived, then the generation (bumped by the last to arrive).
// Waiters spin first (phases of a training step are microseconds apart, a
// futex wake-up costs tens of them), then sleep in slices, checking the pool's
// abort word: when another thread failed, nobody would ever arrive, so the
// waiter traps out of the export instead (the pool reports the first failure).

/** The pool's abort word (src-main/training/kernels/threads.ts, control block below address 1024). */
const ABORT: usize = 28;
const SPINS: i32 = 20000;
/** One millisecond, in nanoseconds. */
const SLICE: i64 = 1000000;

export function barrier(at: usize, threads: i32): void {
  if (threads <= 1) return;
  const generation = atomic.load<i32>(at, 4);
  if (atomic.add<i32>(at, 1) == threads - 1) {
    // Last in: nobody touches the count again before the generation moves.
    atomic.store<i32>(at, 0);
    atomic.add<i32>(at, 1, 4);
    atomic.notify(at + 4, threads - 1);
    return;
  }
  let spins = 0;
  while (atomic.load<i32>(at, 4) == generation) {
    if (spins < SPINS) {
      spins++;
      continue;
    }
    if (atomic.load<i32>(ABORT) != 0) unreachable();
    atomic.wait<i32>(at + 4, generation, SLICE);
  }
}
