// The threaded matrix product (lib/gemm.ts) as a module of its own: dense
// layers and anything else that multiplies matrices in shared memory.
import { SCRATCH_BYTES, gemmShare } from './lib/gemm';

export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch each thread needs; `gemm`'s scratch is threads × this. */
export function scratchBytes(): i32 {
  return SCRATCH_BYTES;
}

/**
 * C (+)= op(A)·op(B), C [m, n] with row stride ldc; op(A)[i][p] at
 * a + i·rsA + p·csA, op(B)[p][j] at b + p·rsB + j·csB (all bytes). This
 * thread computes its share of C's elements.
 */
export function gemm(
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  m: i32,
  k: i32,
  n: i32,
  accumulate: i32,
  scratch: usize,
  thread: i32,
  threads: i32,
): void {
  gemmShare(a, rsA, csA, b, rsB, csB, c, ldc, m, k, n, accumulate != 0, scratch, thread, threads);
}
