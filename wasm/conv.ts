// The convolutions of the conv model as im2col products, on shared memory and
// split between threads by output elements (see lib/gemm.ts for why results do
// not depend on the thread count). Layout NHWC; a geometry's offset tables are
// built by the host (src-main/training/kernels/conv-threads.ts):
//
//   table  [pixels·taps] i32: for output pixel (n, oh, ow) and tap (kh, kw), the
//          byte offset of input pixel (n, oh·sh + kh − pad, ow·sw + kw − pad) from
//          x, or −1 where that is padding;
//   rtable [inPixels·taps] i32: for each input pixel, the byte offsets in the
//          column matrix of the rows that col2im adds into it, in increasing
//          order, −1 after the last.
import { SCRATCH_BYTES, gemmShare, useIm2colA, useStridedA } from './lib/gemm';

export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch each thread needs; every export's scratch is threads × this. */
export function scratchBytes(): i32 {
  return SCRATCH_BYTES;
}

/** C (+)= op(A)·op(B) with strides in bytes (as in wasm/gemm.ts). */
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
  useStridedA();
  gemmShare(a, rsA, csA, b, rsB, csB, c, ldc, m, k, n, accumulate != 0, scratch, thread, threads);
}

/** y [pixels, outC] = im2col(x) · w, w [taps·inC, outC] (Conv2D). */
export function conv2d(
  x: usize,
  table: usize,
  taps: i32,
  inC: i32,
  w: usize,
  y: usize,
  pixels: i32,
  outC: i32,
  scratch: usize,
  thread: i32,
  threads: i32,
): void {
  useIm2colA(table, taps, inC, false);
  const k = taps * inC;
  gemmShare(x, 0, 0, w, outC << 2, 4, y, outC << 2, pixels, k, outC, false, scratch, thread, threads);
}

/** dw [taps·inC, outC] = im2col(x)ᵀ · dy, dy [pixels, outC] (Conv2DBackpropFilter). */
export function convFilter(
  x: usize,
  table: usize,
  taps: i32,
  inC: i32,
  dy: usize,
  dw: usize,
  pixels: i32,
  outC: i32,
  scratch: usize,
  thread: i32,
  threads: i32,
): void {
  useIm2colA(table, taps, inC, true);
  const m = taps * inC;
  gemmShare(x, 0, 0, dy, outC << 2, 4, dw, outC << 2, m, pixels, outC, false, scratch, thread, threads);
}

/**
 * The column matrix of Conv2DBackpropInput: cols [pixels, taps·inC] = dy · wᵀ,
 * dy [pixels, outC], w [taps·inC, outC]. col2im then sums it into dx.
 */
export function convInputCols(
  dy: usize,
  w: usize,
  cols: usize,
  pixels: i32,
  k: i32,
  outC: i32,
  scratch: usize,
  thread: i32,
  threads: i32,
): void {
  useStridedA();
  gemmShare(
    dy,
    outC << 2,
    4,
    w,
    4,
    outC << 2,
    cols,
    k << 2,
    pixels,
    outC,
    k,
    false,
    scratch,
    thread,
    threads,
  );
}

/**
 * dx [inPixels, inC]: each input pixel's sum of the column-matrix rows that
 * rtable lists for it (in its order, from zero), this thread's share of pixels.
 */
export function col2im(
  dx: usize,
  cols: usize,
  rtable: usize,
  inPixels: i32,
  taps: i32,
  inC: i32,
  thread: i32,
  threads: i32,
): void {
  const q0 = <i32>((<i64>inPixels * thread) / threads);
  const q1 = <i32>((<i64>inPixels * (thread + 1)) / threads);
  const vecs = inC >> 2;
  const rowBytes = (<usize>inC) << 2;
  for (let q = q0; q < q1; q++) {
    const out = dx + <usize>q * rowBytes;
    const list = rtable + ((<usize>q * taps) << 2);
    for (let v = 0; v < vecs; v++) {
      const o = (<usize>v) << 4;
      let sum = f32x4.splat(0);
      for (let t = 0; t < taps; t++) {
        const at = load<i32>(list + ((<usize>t) << 2));
        if (at < 0) break;
        sum = f32x4.add(sum, v128.load(cols + <usize>at + o));
      }
      v128.store(out + o, sum);
    }
    for (let ch = vecs << 2; ch < inC; ch++) {
      const o = (<usize>ch) << 2;
      let sum: f32 = 0;
      for (let t = 0; t < taps; t++) {
        const at = load<i32>(list + ((<usize>t) << 2));
        if (at < 0) break;
        sum += load<f32>(cols + <usize>at + o);
      }
      store<f32>(out + o, sum);
    }
  }
}
