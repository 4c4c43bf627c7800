import {
  type Bytes,
  F32,
  type FuncDef,
  f32add,
  f32c,
  f32x4abs,
  f32x4ge,
  v128and,
  f32c0,
  f32load,
  f32store,
  f32x4div,
  f32x4splat,
  f32x4sqrt,
  i32geS,
  i32load,
  ifElse,
  I32,
  V128,
  assemble,
  f32x4add,
  f32x4mul,
  f32x4relaxedMadd,
  get,
  i32add,
  i32c,
  i32eqz,
  i32gtS,
  i32ltS,
  i32mul,
  i32sub,
  ifThen,
  set,
  v128load,
  v128load32splat,
  v128store,
  v128zero,
  whileLoop,
} from './wasm-asm';
import { elementwiseFuncs } from './wasm-elementwise';

/**
 * A SIMD matrix product for tfjs' wasm heap: C (+)= op(A)·op(B) with any
 * strides, so transposed operands cost nothing extra (wasm 4.22's own matmul
 * falls back to a naive loop for them, and re-packs its weights with
 * XNNPACK at ~4 ms a call whenever the right-hand tensor is new, i.e. on every
 * training step). B is packed into 8-column panels (zero padded); a 4×8
 * register-blocked kernel (4×8) streams A with broadcast loads. Runs on the same
 * WebAssembly.Memory as tfjs, so tensors are used in place.
 */

// Parameters of the exported `gemm`.
const P_A = 0; // A base (bytes)
const P_RSA = 1; // A row stride (bytes)
const P_CSA = 2; // A column stride (bytes)
const P_B = 3; // packed B (bytes)
const P_C = 4; // C base (bytes)
const P_LDC = 5; // C row stride (bytes)
const P_M = 6;
const P_K = 7;
const P_NP = 8; // number of 8-column panels
const P_ACC = 9; // 1: C += A·B, 0: C = A·B
const P_BPS = 10; // B: bytes from one 8-column panel to the next (packed: k·32; in place: 32)
const P_BRS = 11; // B: bytes from one row of a panel to the next (packed: 32; in place: n·4)
const N_PARAMS = 12;
// Locals.
const L_I = 12;
const L_P = 13;
const L_KK = 14;
const MR = 4; // rows of the register block (2·MR accumulators + 2 B vectors + 1 broadcast ≤ 16 xmm registers)
const L_PA = 15; // 15..15+MR-1
const L_PB = L_PA + MR;
const L_PC = L_PB + 1;
const L_PBASE = L_PC + 1;
const L_C = L_PBASE + 1; // 2·MR v128 accumulators
const L_B0 = L_C + 2 * MR;
const L_B1 = L_B0 + 1;
const L_AV = L_B1 + 1;
const N_I32_LOCALS = L_C - N_PARAMS;
const N_V128_LOCALS = 2 * MR + 3;

function rowsKernel(mr: number, fma: boolean): Bytes {
  const out: Bytes = [];
  for (let c = 0; c < 2 * mr; c++) out.push(...v128zero, ...set(L_C + c));
  out.push(...get(P_A), ...get(L_I), ...get(P_RSA), ...i32mul, ...i32add, ...set(L_PA));
  for (let r = 1; r < mr; r++) out.push(...get(L_PA + r - 1), ...get(P_RSA), ...i32add, ...set(L_PA + r));
  out.push(...get(L_PBASE), ...set(L_PB), ...get(P_K), ...set(L_KK));
  const body: Bytes = [];
  body.push(...get(L_PB), ...v128load(0), ...set(L_B0), ...get(L_PB), ...v128load(16), ...set(L_B1));
  for (let r = 0; r < mr; r++) {
    body.push(...get(L_PA + r), ...v128load32splat(0), ...set(L_AV));
    for (let h = 0; h < 2; h++) {
      const c = L_C + 2 * r + h;
      const b = h === 0 ? L_B0 : L_B1;
      if (fma) body.push(...get(L_AV), ...get(b), ...get(c), ...f32x4relaxedMadd, ...set(c));
      else body.push(...get(c), ...get(L_AV), ...get(b), ...f32x4mul, ...f32x4add, ...set(c));
    }
  }
  for (let r = 0; r < mr; r++) body.push(...get(L_PA + r), ...get(P_CSA), ...i32add, ...set(L_PA + r));
  body.push(...get(L_PB), ...get(P_BRS), ...i32add, ...set(L_PB));
  body.push(...get(L_KK), ...i32c(1), ...i32sub, ...set(L_KK));
  out.push(...whileLoop(get(L_KK), body));
  // pc = C + i*ldc + p*32
  out.push(
    ...get(P_C),
    ...get(L_I),
    ...get(P_LDC),
    ...i32mul,
    ...i32add,
    ...get(L_P),
    ...i32c(32),
    ...i32mul,
    ...i32add,
    ...set(L_PC),
  );
  for (let r = 0; r < mr; r++) {
    const c0 = L_C + 2 * r;
    // if (acc) c += C[row]
    out.push(...get(P_ACC));
    out.push(
      ...ifThen(
        get(L_PC),
        v128load(0),
        get(c0),
        f32x4add,
        set(c0),
        get(L_PC),
        v128load(16),
        get(c0 + 1),
        f32x4add,
        set(c0 + 1),
      ),
    );
    out.push(...get(L_PC), ...get(c0), ...v128store(0), ...get(L_PC), ...get(c0 + 1), ...v128store(16));
    out.push(...get(L_PC), ...get(P_LDC), ...i32add, ...set(L_PC));
  }
  out.push(...get(L_I), ...i32c(mr), ...i32add, ...set(L_I));
  return out;
}

function gemmBody(fma: boolean): Bytes {
  const perPanel: Bytes = [
    // pBase = B + p*panelStride
    ...get(P_B),
    ...get(L_P),
    ...get(P_BPS),
    ...i32mul,
    ...i32add,
    ...set(L_PBASE),
    ...i32c(0),
    ...set(L_I),
    // while (!(i + MR > m))
    ...whileLoop(
      [...get(L_I), ...i32c(MR), ...i32add, ...get(P_M), ...i32gtS, ...i32eqz],
      rowsKernel(MR, fma),
    ),
    ...whileLoop([...get(L_I), ...get(P_M), ...i32ltS], rowsKernel(1, fma)),
    ...get(L_P),
    ...i32c(1),
    ...i32add,
    ...set(L_P),
  ];
  return [...i32c(0), ...set(L_P), ...whileLoop([...get(L_P), ...get(P_NP), ...i32ltS], perPanel)];
}

// ---- element-wise and data-movement kernels -------------------------------

/** The smallest normal float32. */
export const FLT_MIN = 1.1754943508222875e-38;

/** v, or 0 where it is a subnormal float32 (Adam's state; see adam below). */
export function flushSubnormal(v: number): number {
  return Math.abs(v) < FLT_MIN ? 0 : v;
}

/** Adam's scalars, float32-rounded: [b1, c1, b2, c2, d1, d2, eps, nlr] as in adam below. */
export type AdamScalars = readonly [number, number, number, number, number, number, number, number];

/** Equal-length views of a variable, its moments, its gradient, and the three outputs. */
export interface AdamArrays {
  x: Float32Array;
  m: Float32Array;
  v: Float32Array;
  g: Float32Array;
  xo: Float32Array;
  mo: Float32Array;
  vo: Float32Array;
}

/**
 * The wasm adam below in JS, on elements [from, to): the cpu backend's
 * kernel and the last n % 4 floats on wasm. Float32 rounding at each step.
 */
export function adamRange(a: AdamArrays, from: number, to: number, s: AdamScalars): void {
  const [b1, c1, b2, c2, d1, d2, eps, nlr] = s;
  const f = Math.fround;
  for (let i = from; i < to; i++) {
    const g = a.g[i]!;
    const m = flushSubnormal(f(f(a.m[i]! * b1) + f(g * c1)));
    const v = flushSubnormal(f(f(a.v[i]! * b2) + f(f(g * g) * c2)));
    a.mo[i] = m;
    a.vo[i] = v;
    a.xo[i] = f(f(f(f(m / d1) / f(f(Math.sqrt(f(v / d2))) + eps)) * nlr) + a.x[i]!);
  }
}

/**
 * adam(px, pm, pv, pg, pxo, pmo, pvo, n4, b1, c1, b2, c2, d1, d2, eps, nlr):
 * for n4 groups of 4 floats, the Adam update with tfjs' order of float32
 * operations: m' = m·b1 + g·c1; v' = v·b2 + (g·g)·c2;
 * x' = ((m'/d1) / (√(v'/d2) + eps))·nlr + x.
 * m' and v' below FLT_MIN are stored as 0: a weight whose gradient is
 * mostly 0 (a pixel that is almost always blank) sees m decay by β1 each step
 * into subnormal floats, which x86 computes ~100× slower; after one MNIST
 * epoch that made Adam 40% of a step (5 of 14 ms). Their effect on x is
 * below 1e-30·lr.
 */
function adamFunc(): FuncDef {
  const [PX, PM, PV, PG, PXO, PMO, PVO, N4] = [0, 1, 2, 3, 4, 5, 6, 7];
  const B1 = 8; // first of the 8 scalar parameters (b1, c1, b2, c2, d1, d2, eps, -lr), locals 8..15
  // v128 locals: splats of the 8 scalars, then g, m', v', and the smallest normal float.
  const S = 16;
  const G = S + 8;
  const MI = G + 1;
  const VI = G + 2;
  const MIN_NORMAL = G + 3;
  const body: Bytes = [];
  for (let i = 0; i < 8; i++) body.push(...get(B1 + i), ...f32x4splat, ...set(S + i));
  body.push(...f32c(FLT_MIN), ...f32x4splat, ...set(MIN_NORMAL));
  // m' (and v') = 0 where |m'| < FLT_MIN: see adam's doc.
  const flush = (local: number): Bytes => [
    ...get(local),
    ...get(local),
    ...f32x4abs,
    ...get(MIN_NORMAL),
    ...f32x4ge,
    ...v128and,
    ...set(local),
  ];
  const step: Bytes = [
    ...get(PG),
    ...v128load(0),
    ...set(G),
    ...get(PM),
    ...v128load(0),
    ...get(S + 0),
    ...f32x4mul,
    ...get(G),
    ...get(S + 1),
    ...f32x4mul,
    ...f32x4add,
    ...set(MI),
    ...flush(MI),
    ...get(PV),
    ...v128load(0),
    ...get(S + 2),
    ...f32x4mul,
    ...get(G),
    ...get(G),
    ...f32x4mul,
    ...get(S + 3),
    ...f32x4mul,
    ...f32x4add,
    ...set(VI),
    ...flush(VI),
    ...get(PMO),
    ...get(MI),
    ...v128store(0),
    ...get(PVO),
    ...get(VI),
    ...v128store(0),
    ...get(PXO),
    ...get(MI),
    ...get(S + 4),
    ...f32x4div,
    ...get(VI),
    ...get(S + 5),
    ...f32x4div,
    ...f32x4sqrt,
    ...get(S + 6),
    ...f32x4add,
    ...f32x4div,
    ...get(S + 7),
    ...f32x4mul,
    ...get(PX),
    ...v128load(0),
    ...f32x4add,
    ...v128store(0),
  ];
  for (const p of [PX, PM, PV, PG, PXO, PMO, PVO]) step.push(...get(p), ...i32c(16), ...i32add, ...set(p));
  step.push(...get(N4), ...i32c(1), ...i32sub, ...set(N4));
  body.push(...whileLoop(get(N4), step));
  return {
    name: 'adam',
    params: [...new Array<number>(8).fill(I32), ...new Array<number>(8).fill(F32)],
    results: [],
    locals: new Array<number>(12).fill(V128),
    body,
  };
}

/**
 * gather(dst, src, table, rows, len): row r of dst (len floats, rows packed
 * one after the other) is the len floats at src + table[r] bytes, or zeros
 * where table[r] < 0 (padding). im2col is a gather with a table per shape.
 */
function gatherFunc(): FuncDef {
  const [DST, SRC, TABLE, ROWS, LEN] = [0, 1, 2, 3, 4];
  const [OFF, J, P] = [5, 6, 7];
  const copyRow: Bytes = [
    // j = len; p = src + off; while (j >= 4) { *dst = *p (v128); dst += 16; p += 16; j -= 4 }
    ...get(LEN),
    ...set(J),
    ...get(SRC),
    ...get(OFF),
    ...i32add,
    ...set(P),
    ...whileLoop(
      [...get(J), ...i32c(4), ...i32geS],
      [
        ...get(DST),
        ...get(P),
        ...v128load(0),
        ...v128store(0),
        ...get(DST),
        ...i32c(16),
        ...i32add,
        ...set(DST),
        ...get(P),
        ...i32c(16),
        ...i32add,
        ...set(P),
        ...get(J),
        ...i32c(4),
        ...i32sub,
        ...set(J),
      ],
    ),
    ...whileLoop(get(J), [
      ...get(DST),
      ...get(P),
      ...f32load(0),
      ...f32store(0),
      ...get(DST),
      ...i32c(4),
      ...i32add,
      ...set(DST),
      ...get(P),
      ...i32c(4),
      ...i32add,
      ...set(P),
      ...get(J),
      ...i32c(1),
      ...i32sub,
      ...set(J),
    ]),
  ];
  const zeroRow: Bytes = [
    ...get(LEN),
    ...set(J),
    ...whileLoop(
      [...get(J), ...i32c(4), ...i32geS],
      [
        ...get(DST),
        ...v128zero,
        ...v128store(0),
        ...get(DST),
        ...i32c(16),
        ...i32add,
        ...set(DST),
        ...get(J),
        ...i32c(4),
        ...i32sub,
        ...set(J),
      ],
    ),
    ...whileLoop(get(J), [
      ...get(DST),
      ...f32c0,
      ...f32store(0),
      ...get(DST),
      ...i32c(4),
      ...i32add,
      ...set(DST),
      ...get(J),
      ...i32c(1),
      ...i32sub,
      ...set(J),
    ]),
  ];
  const perRow: Bytes = [
    ...get(TABLE),
    ...i32load(0),
    ...set(OFF),
    ...get(OFF),
    ...i32c(0),
    ...i32ltS,
    ...ifElse(zeroRow, copyRow),
    ...get(TABLE),
    ...i32c(4),
    ...i32add,
    ...set(TABLE),
    ...get(ROWS),
    ...i32c(1),
    ...i32sub,
    ...set(ROWS),
  ];
  return {
    name: 'gather',
    params: new Array<number>(5).fill(I32),
    results: [],
    locals: [I32, I32, I32],
    body: whileLoop(get(ROWS), perRow),
  };
}

/** scatterAdd(dst, src, table, rows, len): for each row r with table[r] ≥ 0, dst + table[r] bytes += row r of src. */
function scatterAddFunc(): FuncDef {
  const [DST, SRC, TABLE, ROWS, LEN] = [0, 1, 2, 3, 4];
  const [OFF, J, P] = [5, 6, 7];
  const addRow: Bytes = [
    ...get(LEN),
    ...set(J),
    ...get(DST),
    ...get(OFF),
    ...i32add,
    ...set(P),
    ...whileLoop(
      [...get(J), ...i32c(4), ...i32geS],
      [
        ...get(P),
        ...get(P),
        ...v128load(0),
        ...get(SRC),
        ...v128load(0),
        ...f32x4add,
        ...v128store(0),
        ...get(SRC),
        ...i32c(16),
        ...i32add,
        ...set(SRC),
        ...get(P),
        ...i32c(16),
        ...i32add,
        ...set(P),
        ...get(J),
        ...i32c(4),
        ...i32sub,
        ...set(J),
      ],
    ),
    ...whileLoop(get(J), [
      ...get(P),
      ...get(P),
      ...f32load(0),
      ...get(SRC),
      ...f32load(0),
      ...f32add,
      ...f32store(0),
      ...get(SRC),
      ...i32c(4),
      ...i32add,
      ...set(SRC),
      ...get(P),
      ...i32c(4),
      ...i32add,
      ...set(P),
      ...get(J),
      ...i32c(1),
      ...i32sub,
      ...set(J),
    ]),
  ];
  const skipRow: Bytes = [...get(SRC), ...get(LEN), ...i32c(4), ...i32mul, ...i32add, ...set(SRC)];
  const perRow: Bytes = [
    ...get(TABLE),
    ...i32load(0),
    ...set(OFF),
    ...get(OFF),
    ...i32c(0),
    ...i32ltS,
    ...ifElse(skipRow, addRow),
    ...get(TABLE),
    ...i32c(4),
    ...i32add,
    ...set(TABLE),
    ...get(ROWS),
    ...i32c(1),
    ...i32sub,
    ...set(ROWS),
  ];
  return {
    name: 'scatterAdd',
    params: new Array<number>(5).fill(I32),
    results: [],
    locals: [I32, I32, I32],
    body: whileLoop(get(ROWS), perRow),
  };
}

/** All our wasm kernels in one module: gemm, adam, gather, scatterAdd and wasm-elementwise.ts'. */
export function kernelsModuleBytes(fma: boolean): Uint8Array {
  return assemble([
    {
      name: 'gemm',
      params: new Array<number>(N_PARAMS).fill(I32),
      results: [],
      locals: [...new Array<number>(N_I32_LOCALS).fill(I32), ...new Array<number>(N_V128_LOCALS).fill(V128)],
      body: gemmBody(fma),
    },
    adamFunc(),
    gatherFunc(),
    scatterAddFunc(),
    ...elementwiseFuncs(),
  ]);
}
