// A reusable barrier for the phases of the fused MLP step, on 8 bytes of shared
// memory: [arrived: i32, generation: i32]. The last thread to arrive resets the
// count and bumps the generation; the others spin a little (a phase of this
// step takes microseconds), then sleep on the generation.

const SPINS = 1 << 14;

export function mlpBarrier(at: usize, threads: i32): void {
  if (threads <= 1) return;
  // Read before arriving: the generation cannot move until every thread (this one too) has arrived.
  const generation = atomic.load<i32>(at, 4);
  if (atomic.add<i32>(at, 1) == threads - 1) {
    atomic.store<i32>(at, 0);
    atomic.add<i32>(at, 1, 4);
    atomic.notify(at + 4);
    return;
  }
  let spins = 0;
  while (atomic.load<i32>(at, 4) == generation) {
    if (++spins > SPINS) atomic.wait<i32>(at + 4, generation, -1);
  }
}
