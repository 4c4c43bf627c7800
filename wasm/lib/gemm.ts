// C (+)= op(A)·op(B) on raw float32 memory, split between threads by output
// elements. Every operand is addressed through strides, so a transposed operand
// costs nothing extra: op(A)[i][p] is at a + i·rsA + p·csA, op(B)[p][j] at
// b + p·rsB + j·csB (bytes).
//
// The GotoBLAS scheme, per thread: for each block of KC depth and NC columns,
// pack that block of B into 8-column panels [panel][kc][8] (zero padded), then
// for each group of MR rows pack the rows' KC-deep sliver of A as [kc][MR], and
// run the MR×8 register-blocked kernel over every panel. Both packed blocks stay
// in cache while they are reused; the kernel reads them with immediate offsets.
//
// Determinism: each element of C is summed over the same fixed depth blocks, each
// block from zero in depth order, then added to C. Which thread computes an
// element, and whether its tile is full or at an edge, never changes that
// order, so results are bit-identical for any thread count.

/** Rows of the register block: 2·MR accumulators + 2 B vectors + 1 broadcast ≤ 16 xmm registers. */
export const MR: i32 = 4;
/** Columns of a packed B panel. */
export const NR: i32 = 8;
/** Most depth of one pass (floats): a panel of B is at most KC·32 bytes. */
export const KC: i32 = 320;
/** Columns of B packed at once: KC·NC·4 = 320 KiB, under a core's L2. */
export const NC: i32 = 256;

/** Bytes of scratch one thread needs (its packed B block and A sliver). */
export const SCRATCH_BYTES: i32 = KC * NC * 4 + KC * MR * 4;

function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * Packs op(B)[k0, k0+kc) × columns [j0, j1) into dst as panels [panel][kc][8],
 * columns past n (and past j1's panel) zero.
 */
function packB(dst: usize, b: usize, rsB: i32, csB: i32, k0: i32, kc: i32, j0: i32, j1: i32): void {
  for (let j = j0; j < j1; j += NR) {
    const width = min(NR, j1 - j);
    let src = b + <usize>k0 * rsB + <usize>j * csB;
    if (width == NR && csB == 4) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += 32;
        src += rsB;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        let s = src;
        for (let jj = 0; jj < width; jj++) {
          store<f32>(dst + ((<usize>jj) << 2), load<f32>(s));
          s += csB;
        }
        for (let jj = width; jj < NR; jj++) store<f32>(dst + ((<usize>jj) << 2), 0);
        dst += 32;
        src += rsB;
      }
    }
  }
}

// How op(A) is read. Module globals are per instance, i.e. per thread: the
// export sets them before its share of the product.
/** op(A)[i][p] at a + i·rsA + p·csA. */
export const A_STRIDED = 0;
/**
 * op(A) = im2col(x) [pixels, taps·inC], never stored: row i's tap t is the
 * inC floats at x + table[i·taps + t] bytes, or zeros where that is < 0.
 */
export const A_IM2COL = 1;
/** op(A) = im2col(x)ᵀ [taps·inC, pixels]. */
export const A_IM2COL_T = 2;
let aMode = A_STRIDED;
let aTable: usize = 0;
let aTaps: i32 = 0;
let aInC: i32 = 0;

/** Reads op(A) with strides (the default). */
export function useStridedA(): void {
  aMode = A_STRIDED;
}

/** Reads op(A) as im2col(x) (or its transpose) through an offset table; see A_IM2COL. */
export function useIm2colA(table: usize, taps: i32, inC: i32, transposed: bool): void {
  aMode = transposed ? A_IM2COL_T : A_IM2COL;
  aTable = table;
  aTaps = taps;
  aInC = inC;
}

/** packA for A_IM2COL: pixels [i, i+rows), depth [k0, k0+kc) of taps·inC. */
function packIm2col(dst: usize, x: usize, i: i32, rows: i32, k0: i32, kc: i32): void {
  const inC = aInC;
  if (rows == MR && (inC & 3) == 0 && (k0 & 3) == 0 && (kc & 3) == 0) {
    packIm2col4(dst, x, i, k0, kc);
    return;
  }
  for (let r = 0; r < MR; r++) {
    let d = dst + ((<usize>r) << 2);
    if (r >= rows) {
      for (let p = 0; p < kc; p++) {
        store<f32>(d, 0);
        d += MR << 2;
      }
      continue;
    }
    const row = aTable + ((<usize>(i + r) * aTaps) << 2);
    let tap = k0 / inC;
    let ch = k0 - tap * inC;
    let left = kc;
    while (left > 0) {
      const run = min(inC - ch, left);
      const off = load<i32>(row + ((<usize>tap) << 2));
      if (off < 0) {
        for (let q = 0; q < run; q++) {
          store<f32>(d, 0);
          d += MR << 2;
        }
      } else {
        let s = x + <usize>off + ((<usize>ch) << 2);
        for (let q = 0; q < run; q++) {
          store<f32>(d, load<f32>(s));
          s += 4;
          d += MR << 2;
        }
      }
      left -= run;
      ch = 0;
      tap++;
    }
  }
}

/** v's 4 floats, or zeros where off < 0 (padding). */
function loadOrZero(x: usize, off: i32, ch: usize): v128 {
  return off < 0 ? f32x4.splat(0) : v128.load(x + <usize>off + ch);
}

/** packIm2col for MR full rows and whole groups of 4 channels: 4×4 transposes. */
function packIm2col4(dst: usize, x: usize, i: i32, k0: i32, kc: i32): void {
  const inC = aInC;
  const taps = aTaps;
  const row0 = aTable + ((<usize>i * taps) << 2);
  const rowStep = (<usize>taps) << 2;
  let tap = k0 / inC;
  let ch = k0 - tap * inC;
  for (let p = 0; p < kc; p += 4) {
    const t = row0 + ((<usize>tap) << 2);
    const c4 = (<usize>ch) << 2;
    const x0 = loadOrZero(x, load<i32>(t), c4);
    const x1 = loadOrZero(x, load<i32>(t + rowStep), c4);
    const x2 = loadOrZero(x, load<i32>(t + 2 * rowStep), c4);
    const x3 = loadOrZero(x, load<i32>(t + 3 * rowStep), c4);
    const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
    const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
    const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
    v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
    v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
    v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
    v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
    dst += 64;
    ch += 4;
    if (ch == inC) {
      ch = 0;
      tap++;
    }
  }
}

/** packA for A_IM2COL_T: rows [i, i+rows) of taps·inC, depth pixels [k0, k0+kc). */
function packIm2colT(dst: usize, x: usize, i: i32, rows: i32, k0: i32, kc: i32): void {
  const inC = aInC;
  const taps = aTaps;
  const tap = i / inC;
  const ch = i - tap * inC;
  if (rows == MR && ch + MR <= inC) {
    // The MR rows are MR adjacent channels of one tap: one vector per pixel.
    let t = aTable + ((<usize>k0 * taps + tap) << 2);
    const step = (<usize>taps) << 2;
    const c4 = (<usize>ch) << 2;
    for (let p = 0; p < kc; p++) {
      const off = load<i32>(t);
      v128.store(dst, off < 0 ? f32x4.splat(0) : v128.load(x + <usize>off + c4));
      dst += 16;
      t += step;
    }
    return;
  }
  for (let r = 0; r < MR; r++) {
    let d = dst + ((<usize>r) << 2);
    if (r >= rows) {
      for (let p = 0; p < kc; p++) {
        store<f32>(d, 0);
        d += MR << 2;
      }
      continue;
    }
    const tr = (i + r) / inC;
    const cr = (<usize>(i + r - tr * inC)) << 2;
    let t = aTable + ((<usize>k0 * taps + tr) << 2);
    for (let p = 0; p < kc; p++) {
      const off = load<i32>(t);
      store<f32>(d, off < 0 ? 0 : load<f32>(x + <usize>off + cr));
      d += MR << 2;
      t += (<usize>taps) << 2;
    }
  }
}

/** Packs rows [i, i+rows) of op(A), depth [k0, k0+kc), into dst as [kc][MR]; rows past `rows` zero. */
function packA(dst: usize, a: usize, rsA: i32, csA: i32, i: i32, rows: i32, k0: i32, kc: i32): void {
  const src = a + <usize>i * rsA + <usize>k0 * csA;
  if (rows == MR && rsA == 4) {
    // Aᵀ stored: the MR rows are adjacent floats.
    let s = src;
    for (let p = 0; p < kc; p++) {
      v128.store(dst + ((<usize>p) << 4), v128.load(s));
      s += csA;
    }
    return;
  }
  if (rows == MR && csA == 4) {
    // A stored row-major: transpose 4×4 blocks.
    const r0 = src;
    const r1 = r0 + rsA;
    const r2 = r1 + rsA;
    const r3 = r2 + rsA;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const o = (<usize>p) << 2;
      const x0 = v128.load(r0 + o);
      const x1 = v128.load(r1 + o);
      const x2 = v128.load(r2 + o);
      const x3 = v128.load(r3 + o);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
      const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const d = dst + ((<usize>p) << 4);
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
      v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
    }
    for (; p < kc; p++) {
      const o = (<usize>p) << 2;
      const d = dst + ((<usize>p) << 4);
      store<f32>(d, load<f32>(r0 + o));
      store<f32>(d, load<f32>(r1 + o), 4);
      store<f32>(d, load<f32>(r2 + o), 8);
      store<f32>(d, load<f32>(r3 + o), 12);
    }
    return;
  }
  for (let r = 0; r < MR; r++) {
    let d = dst + ((<usize>r) << 2);
    if (r < rows) {
      let s = src + <usize>r * rsA;
      for (let p = 0; p < kc; p++) {
        store<f32>(d, load<f32>(s));
        s += csA;
        d += MR << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        store<f32>(d, 0);
        d += MR << 2;
      }
    }
  }
}

/** c[0..count) = v's lanes (+ c's when accumulating), count < 4. */
function storeLanes(c: usize, v: v128, count: i32, accumulate: bool): void {
  if (count > 0) store<f32>(c, f32x4.extract_lane(v, 0) + (accumulate ? load<f32>(c) : 0));
  if (count > 1) store<f32>(c, f32x4.extract_lane(v, 1) + (accumulate ? load<f32>(c, 4) : 0), 4);
  if (count > 2) store<f32>(c, f32x4.extract_lane(v, 2) + (accumulate ? load<f32>(c, 8) : 0), 8);
}

/** One row of a tile: 8 floats at c, or the first `cols` of them. */
function storeRow(c: usize, lo: v128, hi: v128, cols: i32, accumulate: bool): void {
  if (cols == NR) {
    if (accumulate) {
      lo = f32x4.add(lo, v128.load(c));
      hi = f32x4.add(hi, v128.load(c, 16));
    }
    v128.store(c, lo);
    v128.store(c, hi, 16);
  } else if (cols >= 4) {
    v128.store(c, accumulate ? f32x4.add(lo, v128.load(c)) : lo);
    storeLanes(c + 16, hi, cols - 4, accumulate);
  } else {
    storeLanes(c, lo, cols, accumulate);
  }
}

/** The MR×8 tile at c: Σ_p pa[p][r]·pb[p][j] over kc, stored (or added) into its first rows × cols. */
function kernel(
  pa: usize,
  pb: usize,
  kc: i32,
  c: usize,
  ldc: i32,
  rows: i32,
  cols: i32,
  accumulate: bool,
): void {
  let c0 = f32x4.splat(0);
  let c1 = c0;
  let c2 = c0;
  let c3 = c0;
  let c4 = c0;
  let c5 = c0;
  let c6 = c0;
  let c7 = c0;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c0 = madd(a, b0, c0);
    c1 = madd(a, b1, c1);
    a = v128.load32_splat(pa, 4);
    c2 = madd(a, b0, c2);
    c3 = madd(a, b1, c3);
    a = v128.load32_splat(pa, 8);
    c4 = madd(a, b0, c4);
    c5 = madd(a, b1, c5);
    a = v128.load32_splat(pa, 12);
    c6 = madd(a, b0, c6);
    c7 = madd(a, b1, c7);
    pa += MR << 2;
    pb += NR << 2;
  }
  storeRow(c, c0, c1, cols, accumulate);
  if (rows > 1) storeRow(c + ldc, c2, c3, cols, accumulate);
  if (rows > 2) storeRow(c + 2 * ldc, c4, c5, cols, accumulate);
  if (rows > 3) storeRow(c + 3 * ldc, c6, c7, cols, accumulate);
}

/**
 * Rows [i0, i1) × columns [j0, j1) of C (+)= op(A)·op(B), A's depth k;
 * `scratch` is SCRATCH_BYTES of this thread's own. j0 is a multiple of 8.
 */
export function gemmBlock(
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  k: i32,
  accumulate: bool,
  scratch: usize,
): void {
  const packedB = scratch;
  const packedA = scratch + <usize>(KC * NC * 4);
  // Depth blocks of equal size (a multiple of 4, at most KC): a short last block
  // costs a pass over C for little work. They depend on k alone (determinism).
  const blocks = (k + KC - 1) / KC;
  const depth = min(KC, (((k + blocks - 1) / blocks + 3) >> 2) << 2);
  for (let k0 = 0; k0 < k; k0 += depth) {
    const kc = min(depth, k - k0);
    const add = accumulate || k0 > 0;
    for (let jc = j0; jc < j1; jc += NC) {
      const jEnd = min(jc + NC, j1);
      packB(packedB, b, rsB, csB, k0, kc, jc, jEnd);
      for (let i = i0; i < i1; i += MR) {
        const rows = min(MR, i1 - i);
        if (aMode == A_STRIDED) packA(packedA, a, rsA, csA, i, rows, k0, kc);
        else if (aMode == A_IM2COL) packIm2col(packedA, a, i, rows, k0, kc);
        else packIm2colT(packedA, a, i, rows, k0, kc);
        let pb = packedB;
        for (let j = jc; j < jEnd; j += NR) {
          kernel(packedA, pb, kc, c + <usize>i * ldc + ((<usize>j) << 2), ldc, rows, min(NR, jEnd - j), add);
          pb += (<usize>kc) << 5;
        }
      }
    }
  }
}

/** This thread's share of the rows of C [m, n] set to zero. */
function zeroRows(c: usize, ldc: i32, m: i32, n: i32, thread: i32, threads: i32): void {
  const i0 = <i32>((<i64>m * thread) / threads);
  const i1 = <i32>((<i64>m * (thread + 1)) / threads);
  for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * ldc, 0, (<usize>n) << 2);
}

/**
 * This thread's share of C (+)= op(A)·op(B) for C [m, n]: whole groups of MR
 * rows when there are enough of them, else whole 8-column panels.
 */
export function gemmShare(
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
  accumulate: bool,
  scratch: usize,
  thread: i32,
  threads: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // An empty sum: C = 0, or C unchanged when accumulating.
    if (!accumulate) zeroRows(c, ldc, m, n, thread, threads);
    return;
  }
  const mine = scratch + <usize>thread * SCRATCH_BYTES;
  const groups = (m + MR - 1) / MR;
  const panels = (n + NR - 1) / NR;
  if (groups >= 4 * threads || groups >= panels) {
    const g0 = <i32>((<i64>groups * thread) / threads);
    const g1 = <i32>((<i64>groups * (thread + 1)) / threads);
    if (g0 < g1)
      gemmBlock(a, rsA, csA, b, rsB, csB, c, ldc, g0 * MR, min(m, g1 * MR), 0, n, k, accumulate, mine);
  } else {
    const p0 = <i32>((<i64>panels * thread) / threads);
    const p1 = <i32>((<i64>panels * (thread + 1)) / threads);
    if (p0 < p1)
      gemmBlock(a, rsA, csA, b, rsB, csB, c, ldc, 0, m, p0 * NR, min(n, p1 * NR), k, accumulate, mine);
  }
}
