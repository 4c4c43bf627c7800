// The products and element-wise passes of the fused MLP step (wasm/fused-mlp.ts).
// Every pointer is a byte address in the shared memory; every stride is in bytes.
//
// Determinism: each output element is computed by one call, as one sum in a
// fixed order (the reduction index ascending, or for gemmNT four lanes then
// ((l0 + l1) + l2) + l3), whatever the blocking and whichever thread runs it.
// So splitting a product among threads by output rows or columns never changes
// a bit, and skipping exact zeros of the left operand (sparseRows, sparseCols)
// gives the dense kernel's bits: fma(0, w, acc) and acc + 0·w are acc.

/** c + a·b, fused where the module is built with relaxed SIMD. */
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

function epilogue(v: v128, bias: usize, offset: usize, relu: bool): v128 {
  let r = v;
  if (bias) r = f32x4.add(r, v128.load(bias + offset));
  // pmax: one instruction; as tfjs' relu (x < 0 ? 0 : x), NaN stays NaN and −0 stays −0.
  if (relu) r = f32x4.pmax(r, f32x4.splat(0));
  return r;
}

/**
 * C(i, 8p..8p+8) = Σ_r A(i, r)·B(r, 8p..8p+8) (+ bias, ReLU) for rows i in
 * [0, m) and 8-column panels p in [p0, p1); A(i, r) at a + i·rsA + r·csA,
 * B(r, ·) at b + r·ldb. The forward product (A = activations, B = weights) and
 * the weight gradient (A = activationsᵀ: rsA = 4, B = output gradient).
 */
export function gemmPanels(
  a: usize,
  rsA: usize,
  csA: usize,
  b: usize,
  ldb: usize,
  c: usize,
  ldc: usize,
  m: i32,
  k: i32,
  p0: i32,
  p1: i32,
  bias: usize,
  relu: bool,
): void {
  for (let p = p0; p < p1; p++) {
    const col = (<usize>p) << 5;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      block4x8(a + <usize>i * rsA, rsA, csA, b + col, ldb, c + <usize>i * ldc + col, ldc, k, bias, col, relu);
    }
    for (; i < m; i++)
      block1x8(a + <usize>i * rsA, csA, b + col, ldb, c + <usize>i * ldc + col, k, bias, col, relu);
  }
}

function block4x8(
  a: usize,
  rsA: usize,
  csA: usize,
  b: usize,
  ldb: usize,
  c: usize,
  ldc: usize,
  k: i32,
  bias: usize,
  col: usize,
  relu: bool,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let a0 = a;
  let a1 = a + rsA;
  let a2 = a1 + rsA;
  let a3 = a2 + rsA;
  let pb = b;
  for (let r = 0; r < k; r++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(a0);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    a0 += csA;
    a1 += csA;
    a2 += csA;
    a3 += csA;
    pb += ldb;
  }
  v128.store(c, epilogue(c00, bias, col, relu));
  v128.store(c, epilogue(c01, bias, col + 16, relu), 16);
  let pc = c + ldc;
  v128.store(pc, epilogue(c10, bias, col, relu));
  v128.store(pc, epilogue(c11, bias, col + 16, relu), 16);
  pc += ldc;
  v128.store(pc, epilogue(c20, bias, col, relu));
  v128.store(pc, epilogue(c21, bias, col + 16, relu), 16);
  pc += ldc;
  v128.store(pc, epilogue(c30, bias, col, relu));
  v128.store(pc, epilogue(c31, bias, col + 16, relu), 16);
}

function block1x8(
  a: usize,
  csA: usize,
  b: usize,
  ldb: usize,
  c: usize,
  k: i32,
  bias: usize,
  col: usize,
  relu: bool,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let a0 = a;
  let pb = b;
  for (let r = 0; r < k; r++) {
    const av = v128.load32_splat(a0);
    c00 = madd(av, v128.load(pb), c00);
    c01 = madd(av, v128.load(pb, 16), c01);
    a0 += csA;
    pb += ldb;
  }
  v128.store(c, epilogue(c00, bias, col, relu));
  v128.store(c, epilogue(c01, bias, col + 16, relu), 16);
}

function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)
  );
}

function storeNT(c: usize, value: f32, accumulate: bool, mask: usize): void {
  let v = value;
  if (accumulate) v = load<f32>(c) + v;
  if (mask) {
    if (!(load<f32>(mask) > 0)) v = 0;
  }
  store<f32>(c, v);
}

/**
 * C(i, j) (+)= Σ_n A(i, n)·W(j, n) for rows i in [0, m) and j in [j0, j1):
 * both operands read along their rows (a + i·lda, w + j·ldw), n4 groups of 4.
 * The input gradient dX = dZ·Wᵀ without transposing W. With `mask`, C(i, j)
 * is set to 0 where the mask matrix (the layer's input, stride ldm) is not
 * > 0: the ReLU gradient of the layer below, as tfjs' relu gradient.
 * `accumulate` adds to C before masking (the two latent heads feed one layer).
 */
export function gemmNT(
  a: usize,
  lda: usize,
  w: usize,
  ldw: usize,
  c: usize,
  ldc: usize,
  m: i32,
  n4: i32,
  j0: i32,
  j1: i32,
  accumulate: bool,
  mask: usize,
  ldm: usize,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const ai = a + <usize>i * lda;
    const ci = c + <usize>i * ldc;
    const mi = mask ? mask + <usize>i * ldm : 0;
    let j = j0;
    for (; j + 2 <= j1; j += 2) {
      let s00 = f32x4.splat(0);
      let s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0);
      let s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0);
      let s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0);
      let s31 = f32x4.splat(0);
      let pa = ai;
      let pw = w + <usize>j * ldw;
      for (let n = 0; n < n4; n++) {
        const w0 = v128.load(pw);
        const w1 = v128.load(pw + ldw);
        let av = v128.load(pa);
        s00 = madd(av, w0, s00);
        s01 = madd(av, w1, s01);
        av = v128.load(pa + lda);
        s10 = madd(av, w0, s10);
        s11 = madd(av, w1, s11);
        av = v128.load(pa + 2 * lda);
        s20 = madd(av, w0, s20);
        s21 = madd(av, w1, s21);
        av = v128.load(pa + 3 * lda);
        s30 = madd(av, w0, s30);
        s31 = madd(av, w1, s31);
        pa += 16;
        pw += 16;
      }
      const cj = ci + ((<usize>j) << 2);
      const mj = mask ? mi + ((<usize>j) << 2) : 0;
      storeNT(cj, hsum(s00), accumulate, mj);
      storeNT(cj + 4, hsum(s01), accumulate, mask ? mj + 4 : 0);
      storeNT(cj + ldc, hsum(s10), accumulate, mask ? mj + ldm : 0);
      storeNT(cj + ldc + 4, hsum(s11), accumulate, mask ? mj + ldm + 4 : 0);
      storeNT(cj + 2 * ldc, hsum(s20), accumulate, mask ? mj + 2 * ldm : 0);
      storeNT(cj + 2 * ldc + 4, hsum(s21), accumulate, mask ? mj + 2 * ldm + 4 : 0);
      storeNT(cj + 3 * ldc, hsum(s30), accumulate, mask ? mj + 3 * ldm : 0);
      storeNT(cj + 3 * ldc + 4, hsum(s31), accumulate, mask ? mj + 3 * ldm + 4 : 0);
    }
    for (; j < j1; j++) {
      for (let r = 0; r < 4; r++) {
        const row = <usize>(i + r);
        dotStore(
          a + row * lda,
          w + <usize>j * ldw,
          n4,
          c + row * ldc + ((<usize>j) << 2),
          accumulate,
          mask ? mask + row * ldm + ((<usize>j) << 2) : 0,
        );
      }
    }
  }
  for (; i < m; i++) {
    for (let j = j0; j < j1; j++) {
      const row = <usize>i;
      dotStore(
        a + row * lda,
        w + <usize>j * ldw,
        n4,
        c + row * ldc + ((<usize>j) << 2),
        accumulate,
        mask ? mask + row * ldm + ((<usize>j) << 2) : 0,
      );
    }
  }
}

function dotStore(a: usize, w: usize, n4: i32, c: usize, accumulate: bool, mask: usize): void {
  let s = f32x4.splat(0);
  let pa = a;
  let pw = w;
  for (let n = 0; n < n4; n++) {
    s = madd(v128.load(pa), v128.load(pw), s);
    pa += 16;
    pw += 16;
  }
  storeNT(c, hsum(s), accumulate, mask);
}

/**
 * The first layer's forward product on a sparse input: for rows i in [0, m),
 * Y(i, panels p0..p1) = Σ over the row's nonzero (k, x) of x·W(k, ·) (+ bias,
 * ReLU), the nonzeros in ascending k (nnz[i] of them at idx/val + i·cap·4).
 * Four panels (32 columns) at a time, every row, then the next four: the
 * weights' column block stays in cache for the whole batch.
 */
export function sparseRows(
  nnz: usize,
  idx: usize,
  val: usize,
  cap: i32,
  w: usize,
  ldw: usize,
  y: usize,
  ldy: usize,
  bias: usize,
  m: i32,
  p0: i32,
  p1: i32,
  relu: bool,
): void {
  const rowBytes = (<usize>cap) << 2;
  let p = p0;
  for (; p + 4 <= p1; p += 4) {
    const col = (<usize>p) << 5;
    for (let i = 0; i < m; i++) {
      const count = load<i32>(nnz + ((<usize>i) << 2));
      let pi = idx + <usize>i * rowBytes;
      let pv = val + <usize>i * rowBytes;
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let c2 = f32x4.splat(0);
      let c3 = f32x4.splat(0);
      let c4 = f32x4.splat(0);
      let c5 = f32x4.splat(0);
      let c6 = f32x4.splat(0);
      let c7 = f32x4.splat(0);
      for (let t = 0; t < count; t++) {
        const pw = w + <usize>load<i32>(pi) * ldw + col;
        const av = v128.load32_splat(pv);
        c0 = madd(av, v128.load(pw), c0);
        c1 = madd(av, v128.load(pw, 16), c1);
        c2 = madd(av, v128.load(pw, 32), c2);
        c3 = madd(av, v128.load(pw, 48), c3);
        c4 = madd(av, v128.load(pw, 64), c4);
        c5 = madd(av, v128.load(pw, 80), c5);
        c6 = madd(av, v128.load(pw, 96), c6);
        c7 = madd(av, v128.load(pw, 112), c7);
        pi += 4;
        pv += 4;
      }
      const pc = y + <usize>i * ldy + col;
      v128.store(pc, epilogue(c0, bias, col, relu));
      v128.store(pc, epilogue(c1, bias, col + 16, relu), 16);
      v128.store(pc, epilogue(c2, bias, col + 32, relu), 32);
      v128.store(pc, epilogue(c3, bias, col + 48, relu), 48);
      v128.store(pc, epilogue(c4, bias, col + 64, relu), 64);
      v128.store(pc, epilogue(c5, bias, col + 80, relu), 80);
      v128.store(pc, epilogue(c6, bias, col + 96, relu), 96);
      v128.store(pc, epilogue(c7, bias, col + 112, relu), 112);
    }
  }
  for (; p < p1; p++) {
    const col = (<usize>p) << 5;
    for (let i = 0; i < m; i++) {
      const count = load<i32>(nnz + ((<usize>i) << 2));
      let pi = idx + <usize>i * rowBytes;
      let pv = val + <usize>i * rowBytes;
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      for (let t = 0; t < count; t++) {
        const pw = w + <usize>load<i32>(pi) * ldw + col;
        const av = v128.load32_splat(pv);
        c0 = madd(av, v128.load(pw), c0);
        c1 = madd(av, v128.load(pw, 16), c1);
        pi += 4;
        pv += 4;
      }
      const pc = y + <usize>i * ldy + col;
      v128.store(pc, epilogue(c0, bias, col, relu));
      v128.store(pc, epilogue(c1, bias, col + 16, relu), 16);
    }
  }
}

/**
 * The first layer's weight gradient on a sparse input: for k in [k0, k1),
 * G(k, ·) = Σ over column k's nonzero (b, x) of x·dZ(b, ·), the nonzeros in
 * ascending b (nnz[k] of them at idx/val + k·cap·4); np panels of 8 columns.
 */
export function sparseCols(
  nnz: usize,
  idx: usize,
  val: usize,
  cap: i32,
  dz: usize,
  ldz: usize,
  g: usize,
  ldg: usize,
  k0: i32,
  k1: i32,
  np: i32,
): void {
  const colBytes = (<usize>cap) << 2;
  for (let k = k0; k < k1; k++) {
    const count = load<i32>(nnz + ((<usize>k) << 2));
    const ik = idx + <usize>k * colBytes;
    const vk = val + <usize>k * colBytes;
    const gk = g + <usize>k * ldg;
    let p = 0;
    for (; p + 4 <= np; p += 4) {
      const col = (<usize>p) << 5;
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let c2 = f32x4.splat(0);
      let c3 = f32x4.splat(0);
      let c4 = f32x4.splat(0);
      let c5 = f32x4.splat(0);
      let c6 = f32x4.splat(0);
      let c7 = f32x4.splat(0);
      let pi = ik;
      let pv = vk;
      for (let t = 0; t < count; t++) {
        const pz = dz + <usize>load<i32>(pi) * ldz + col;
        const av = v128.load32_splat(pv);
        c0 = madd(av, v128.load(pz), c0);
        c1 = madd(av, v128.load(pz, 16), c1);
        c2 = madd(av, v128.load(pz, 32), c2);
        c3 = madd(av, v128.load(pz, 48), c3);
        c4 = madd(av, v128.load(pz, 64), c4);
        c5 = madd(av, v128.load(pz, 80), c5);
        c6 = madd(av, v128.load(pz, 96), c6);
        c7 = madd(av, v128.load(pz, 112), c7);
        pi += 4;
        pv += 4;
      }
      const pc = gk + col;
      v128.store(pc, c0);
      v128.store(pc, c1, 16);
      v128.store(pc, c2, 32);
      v128.store(pc, c3, 48);
      v128.store(pc, c4, 64);
      v128.store(pc, c5, 80);
      v128.store(pc, c6, 96);
      v128.store(pc, c7, 112);
    }
    for (; p < np; p++) {
      const col = (<usize>p) << 5;
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let pi = ik;
      let pv = vk;
      for (let t = 0; t < count; t++) {
        const pz = dz + <usize>load<i32>(pi) * ldz + col;
        const av = v128.load32_splat(pv);
        c0 = madd(av, v128.load(pz), c0);
        c1 = madd(av, v128.load(pz, 16), c1);
        pi += 4;
        pv += 4;
      }
      v128.store(gk + col, c0);
      v128.store(gk + col, c1, 16);
    }
  }
}

/**
 * Row lists of the nonzeros of X (rows [r0, r1), k < cols, row stride ldx):
 * nnz[i], then (k, x) pairs at idx/val + i·cap·4. Branch-free: every value is
 * written, the count only moves past nonzeros.
 */
export function rowLists(
  x: usize,
  ldx: usize,
  cols: i32,
  r0: i32,
  r1: i32,
  nnz: usize,
  idx: usize,
  val: usize,
  cap: i32,
): void {
  const rowBytes = (<usize>cap) << 2;
  for (let i = r0; i < r1; i++) {
    const xi = x + <usize>i * ldx;
    const ii = idx + <usize>i * rowBytes;
    const vi = val + <usize>i * rowBytes;
    let count = 0;
    for (let k = 0; k < cols; k++) {
      const v = load<f32>(xi + ((<usize>k) << 2));
      store<i32>(ii + ((<usize>count) << 2), k);
      store<f32>(vi + ((<usize>count) << 2), v);
      count += i32(v != 0);
    }
    store<i32>(nnz + ((<usize>i) << 2), count);
  }
}

/**
 * Column lists of the nonzeros of X for columns [k0, k1), from its row lists
 * (rowLists, rows < m, capacity rowCap a row): nnz[k], then (b, x) pairs at
 * idx/val + k·cap·4, b ascending. Reads only the nonzeros, not X.
 */
export function colLists(
  rowNnz: usize,
  rowIdx: usize,
  rowVal: usize,
  rowCap: i32,
  m: i32,
  k0: i32,
  k1: i32,
  nnz: usize,
  idx: usize,
  val: usize,
  cap: i32,
): void {
  const colBytes = (<usize>cap) << 2;
  const rowBytes = (<usize>rowCap) << 2;
  for (let k = k0; k < k1; k++) store<i32>(nnz + ((<usize>k) << 2), 0);
  for (let i = 0; i < m; i++) {
    const count = load<i32>(rowNnz + ((<usize>i) << 2));
    const ri = rowIdx + <usize>i * rowBytes;
    const rv = rowVal + <usize>i * rowBytes;
    for (let t = 0; t < count; t++) {
      const k = load<i32>(ri + ((<usize>t) << 2));
      if (k < k0 || k >= k1) continue;
      const at = nnz + ((<usize>k) << 2);
      const c = load<i32>(at);
      store<i32>(idx + <usize>k * colBytes + ((<usize>c) << 2), i);
      store<f32>(val + <usize>k * colBytes + ((<usize>c) << 2), load<f32>(rv + ((<usize>t) << 2)));
      store<i32>(at, c + 1);
    }
  }
}

/** g(8p..8p+8) = Σ_i dZ(i, ·) over rows [0, m), for panels [p0, p1): the bias gradient. */
export function colSums(dz: usize, ldz: usize, m: i32, g: usize, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    const col = (<usize>p) << 5;
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let pz = dz + col;
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(pz));
      s1 = f32x4.add(s1, v128.load(pz, 16));
      pz += ldz;
    }
    v128.store(g + col, s0);
    v128.store(g + col, s1, 16);
  }
}

// Cephes' expf: exp(r) ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2, ln 2 split in two so
// that n·C1 is exact (as kernels/wasm-elementwise.ts's bce).
const EXP_C1: f32 = 0.693359375;
const EXP_C2: f32 = -2.1219444e-4;

/**
 * Binary cross-entropy from logits for 4 pixels (see kernels/loss-kernels.ts):
 * returns the 4 terms softplus(l') − x·l' and writes (σ(l') − x)·scale to g,
 * 0 where the logit was clipped; l' = clip(l, ±limit). Same float32 operations
 * as the hand-assembled bce kernel.
 */
function bce4(xv: v128, lv: v128, limit: f32, scale: v128, g: usize): v128 {
  const lim = f32x4.splat(limit);
  const nlim = f32x4.splat(-limit);
  const one = f32x4.splat(1);
  const inside = v128.and(f32x4.ge(lv, nlim), f32x4.le(lv, lim));
  // pmin/pmax (one instruction each, unlike min/max's NaN and −0 rules): NaN logits stay NaN.
  const lc = f32x4.pmin(f32x4.pmax(lv, nlim), lim);
  const al = f32x4.abs(lc);
  const n = f32x4.nearest(f32x4.mul(al, f32x4.splat(<f32>Math.LOG2E)));
  const r = f32x4.add(f32x4.sub(f32x4.mul(n, f32x4.splat(EXP_C1)), al), f32x4.mul(n, f32x4.splat(EXP_C2)));
  let q = f32x4.splat(1.98756915e-4);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.3981999507e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(8.3334519073e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(4.1665795894e-2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.6666665459e-1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(5.0000001201e-1));
  const pow2 = i32x4.shl(i32x4.sub(i32x4.splat(127), i32x4.trunc_sat_f32x4_s(n)), 23);
  const e = f32x4.mul(f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(q, r), r), r), one), pow2);
  const rr = f32x4.div(one, f32x4.add(one, e));
  const sigmoid = v128.bitselect(rr, f32x4.mul(e, rr), f32x4.ge(lc, f32x4.splat(0)));
  v128.store(g, f32x4.mul(v128.and(f32x4.sub(sigmoid, xv), inside), scale));
  const s = f32x4.div(e, f32x4.add(f32x4.splat(2), e));
  const s2 = f32x4.mul(s, s);
  let t = f32x4.splat(<f32>(1.0 / 15));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 13)));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 11)));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 9)));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 7)));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 5)));
  t = f32x4.add(f32x4.mul(t, s2), f32x4.splat(<f32>(1.0 / 3)));
  const softplus = f32x4.add(
    f32x4.pmax(lc, f32x4.splat(0)),
    f32x4.mul(f32x4.add(s, s), f32x4.add(f32x4.mul(t, s2), one)),
  );
  return f32x4.sub(softplus, f32x4.mul(xv, lc));
}

/**
 * For rows [r0, r1): out[i] = Σ_p BCE(x(i, p), l(i, p)) over the `pixels`
 * real columns (lanes summed ((a0 + a1) + a2) + a3 at the end), and the
 * logits' gradient g(i, p) = (σ − x)·scale; a last partial group of 4 is
 * read lane by lane and its missing lanes contribute nothing.
 */
export function bceRows(
  x: usize,
  ldx: usize,
  l: usize,
  ldl: usize,
  g: usize,
  pixels: i32,
  r0: i32,
  r1: i32,
  limit: f32,
  scale: f32,
  out: usize,
): void {
  const sv = f32x4.splat(scale);
  const full = pixels & ~3;
  for (let i = r0; i < r1; i++) {
    const xi = x + <usize>i * ldx;
    const li = l + <usize>i * ldl;
    const gi = g + <usize>i * ldl;
    let acc = f32x4.splat(0);
    let p = 0;
    for (; p < full; p += 4) {
      const o = (<usize>p) << 2;
      acc = f32x4.add(acc, bce4(v128.load(xi + o), v128.load(li + o), limit, sv, gi + o));
    }
    if (p < pixels) {
      let xv = f32x4.splat(0);
      let lv = f32x4.splat(0);
      let keep = i32x4.splat(0);
      const o = (<usize>p) << 2;
      const left = pixels - p;
      xv = f32x4.replace_lane(xv, 0, load<f32>(xi + o));
      lv = f32x4.replace_lane(lv, 0, load<f32>(li + o));
      keep = i32x4.replace_lane(keep, 0, -1);
      if (left > 1) {
        xv = f32x4.replace_lane(xv, 1, load<f32>(xi + o + 4));
        lv = f32x4.replace_lane(lv, 1, load<f32>(li + o + 4));
        keep = i32x4.replace_lane(keep, 1, -1);
      }
      if (left > 2) {
        xv = f32x4.replace_lane(xv, 2, load<f32>(xi + o + 8));
        lv = f32x4.replace_lane(lv, 2, load<f32>(li + o + 8));
        keep = i32x4.replace_lane(keep, 2, -1);
      }
      // The gradient's padding lanes are beyond the real pixels: zeroed again below.
      acc = f32x4.add(acc, v128.and(bce4(xv, lv, limit, sv, gi + o), keep));
      for (let q = pixels; q < p + 4; q++) store<f32>(gi + ((<usize>q) << 2), 0);
    }
    const sum =
      f32x4.extract_lane(acc, 0) +
      f32x4.extract_lane(acc, 1) +
      f32x4.extract_lane(acc, 2) +
      f32x4.extract_lane(acc, 3);
    store<f32>(out + ((<usize>i) << 2), sum);
  }
}

/**
 * Adam on floats [from, to) (multiples of 4) with tfjs' order of float32
 * operations, as the hand-assembled adam kernel (kernels/wasm-gemm.ts):
 * m' = m·b1 + g·c1; v' = v·b2 + (g·g)·c2 (each 0 when below the smallest
 * normal float, see there); x' = ((m'/d1) / (√(v'/d2) + eps))·nlr + x. No FMA.
 */
export function adam(
  x: usize,
  m: usize,
  v: usize,
  g: usize,
  from: i32,
  to: i32,
  b1: f32,
  c1: f32,
  b2: f32,
  c2: f32,
  d1: f32,
  d2: f32,
  eps: f32,
  nlr: f32,
): void {
  const vb1 = f32x4.splat(b1);
  const vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2);
  const vc2 = f32x4.splat(c2);
  const vd1 = f32x4.splat(d1);
  const vd2 = f32x4.splat(d2);
  const veps = f32x4.splat(eps);
  const vnlr = f32x4.splat(nlr);
  const minNormal = f32x4.splat(1.1754943508222875e-38);
  for (let i = from; i < to; i += 4) {
    const o = (<usize>i) << 2;
    const gv = v128.load(g + o);
    let mv = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vc1));
    mv = v128.and(mv, f32x4.ge(f32x4.abs(mv), minNormal));
    let vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gv, gv), vc2));
    vv = v128.and(vv, f32x4.ge(f32x4.abs(vv), minNormal));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.div(mv, vd1), f32x4.add(f32x4.sqrt(f32x4.div(vv, vd2)), veps));
    v128.store(x + o, f32x4.add(f32x4.mul(step, vnlr), v128.load(x + o)));
  }
}
