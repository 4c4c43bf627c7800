// The smallest module the build and the loader are tested with: proves that
// SIMD, shared memory and the relaxed-SIMD variant compile and instantiate.

import { barrier } from './lib/barrier';

export function heapBase(): usize {
  return __heap_base;
}

/** out[i] = a[i] * b[i] + out[i] for n floats (n a multiple of 4). */
export function madd(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    const va = v128.load(a + o);
    const vb = v128.load(b + o);
    const vc = v128.load(out + o);
    let r: v128;
    if (ASC_FEATURE_RELAXED_SIMD) r = f32x4.relaxed_madd(va, vb, vc);
    else r = f32x4.add(f32x4.mul(va, vb), vc);
    v128.store(out + o, r);
  }
}

/** Adds 1 to the i32 at `at` atomically and returns the old value (threads test). */
export function bump(at: usize): i32 {
  return atomic.add<i32>(at, 1);
}

/**
 * A threaded export as the pool runs them: thread t of `threads` writes its
 * share of n ints (value i + 1 at index i), waits at the barrier, then sums all
 * n into sums[t] — each thread must see every other thread's writes.
 */
export function shareAndSum(
  values: usize,
  n: i32,
  sums: usize,
  barrierAt: usize,
  thread: i32,
  threads: i32,
): void {
  for (let i = thread; i < n; i += threads) store<i32>(values + ((<usize>i) << 2), i + 1);
  barrier(barrierAt, threads);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += load<i32>(values + ((<usize>i) << 2));
  store<i32>(sums + ((<usize>thread) << 2), sum);
}

/** Traps (unreachable) when asked to, on one thread: the pool must report it. */
export function trapOn(which: i32, thread: i32, threads: i32): void {
  if (thread == which && threads > 0) unreachable();
}

/** Thread `which` traps while the others wait at a barrier for it: they must not wait forever. */
export function trapBeforeBarrier(which: i32, barrierAt: usize, thread: i32, threads: i32): void {
  if (thread == which) unreachable();
  barrier(barrierAt, threads);
}
