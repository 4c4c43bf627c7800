import {
  type Bytes,
  F32,
  type FuncDef,
  I32,
  V128,
  f32add,
  f32c,
  f32load,
  f32store,
  f32x4abs,
  f32x4add,
  f32x4div,
  f32x4extractLane,
  f32x4ge,
  f32x4gt,
  f32x4le,
  f32x4max,
  f32x4min,
  f32x4mul,
  f32x4nearest,
  f32x4splat,
  f32x4sub,
  get,
  i32add,
  i32c,
  i32ltS,
  i32mul,
  i32x4shl,
  i32x4splat,
  i32x4sub,
  i32x4truncSatF32x4S,
  set,
  v128and,
  v128bitselect,
  v128load,
  v128store,
  v128zero,
  whileLoop,
} from './wasm-asm';

/**
 * The element-wise and data-movement kernels around our gemm, in WebAssembly
 * SIMD on tfjs' heap: the work between two matrix products that tfjs would
 * otherwise spread over many kernels (each a pass over memory plus ~20 µs of
 * dispatch), or that our JS did a float at a time. Every function works on
 * groups of 4 floats; the callers (dense.ts, loss-kernels.ts, wasm-kernels.ts) handle
 * shapes that do not divide by 4 in JS.
 */

/** local += delta */
const bump = (local: number, delta: number): Bytes => [
  ...get(local),
  ...i32c(delta),
  ...i32add,
  ...set(local),
];
/** local += other local */
const bumpBy = (local: number, by: number): Bytes => [...get(local), ...get(by), ...i32add, ...set(local)];
/** while (counter) { body; counter-- } */
const countDown = (counter: number, ...body: Bytes[]): Bytes =>
  whileLoop(get(counter), ...body, bump(counter, -1));
/** A v128 local set to four copies of v. */
const splatF32 = (local: number, v: number): Bytes => [...f32c(v), ...f32x4splat, ...set(local)];

/**
 * pack8(dst, src, k, rowBytes, panels): B [k, n] (rows rowBytes apart) into
 * `panels` panels of 8 columns, [panel][k][8], for the gemm. Full panels only.
 */
function pack8(): FuncDef {
  const [DST, SRC, K, RB, PANELS] = [0, 1, 2, 3, 4];
  const [P, S, KK] = [5, 6, 7];
  const row: Bytes = [
    ...get(DST),
    ...get(S),
    ...v128load(0),
    ...v128store(0),
    ...get(DST),
    ...get(S),
    ...v128load(16),
    ...v128store(16),
    ...bump(DST, 32),
    ...bumpBy(S, RB),
  ];
  const panel: Bytes = [
    ...get(SRC),
    ...get(P),
    ...i32c(32),
    ...i32mul,
    ...i32add,
    ...set(S),
    ...get(K),
    ...set(KK),
    ...countDown(KK, row),
    ...bump(P, 1),
  ];
  return {
    name: 'pack8',
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32],
    body: whileLoop([...get(P), ...get(PANELS), ...i32ltS], panel),
  };
}

/**
 * packT8(dst, src, k, panels): Bᵀ for B stored [n, k] into [panel][k][8]
 * (panel p holds rows 8p..8p+7 of the stored B, read as eight streams).
 * Full panels only.
 */
function packT8(): FuncDef {
  const [DST, SRC, K, PANELS] = [0, 1, 2, 3];
  const [P, S, KK, RB] = [4, 5, 6, 7];
  const R = 8; // R + j = j·rowBytes, j = 1..7
  const body: Bytes = [...get(K), ...i32c(4), ...i32mul, ...set(RB)];
  for (let j = 1; j < 8; j++) body.push(...get(RB), ...i32c(j), ...i32mul, ...set(R + j - 1));
  const row: Bytes = [];
  for (let j = 0; j < 8; j++) {
    row.push(...get(DST), ...get(S));
    if (j > 0) row.push(...get(R + j - 1), ...i32add);
    row.push(...f32load(0), ...f32store(4 * j));
  }
  row.push(...bump(DST, 32), ...bump(S, 4));
  const panel: Bytes = [
    ...get(SRC),
    ...get(P),
    ...get(RB),
    ...i32c(8),
    ...i32mul,
    ...i32mul,
    ...i32add,
    ...set(S),
    ...get(K),
    ...set(KK),
    ...countDown(KK, row),
    ...bump(P, 1),
  ];
  body.push(...whileLoop([...get(P), ...get(PANELS), ...i32ltS], panel));
  return {
    name: 'packT8',
    params: [I32, I32, I32, I32],
    results: [],
    locals: new Array<number>(11).fill(I32),
    body,
  };
}

/**
 * biasRelu / biasLinear (y, b, rows, n4): y = act(y + b) in place, b
 * broadcast over rows of 4·n4 floats. relu is max(v, 0): NaN stays NaN.
 */
function biasAct(relu: boolean): FuncDef {
  const [Y, B, ROWS, N4] = [0, 1, 2, 3];
  const [PB, J] = [4, 5];
  const group: Bytes = [...get(Y), ...get(Y), ...v128load(0), ...get(PB), ...v128load(0), ...f32x4add];
  if (relu) group.push(...v128zero, ...f32x4max);
  group.push(...v128store(0), ...bump(Y, 16), ...bump(PB, 16));
  const row: Bytes = [...get(B), ...set(PB), ...get(N4), ...set(J), ...countDown(J, group)];
  return {
    name: relu ? 'biasRelu' : 'biasLinear',
    params: [I32, I32, I32, I32],
    results: [],
    locals: [I32, I32],
    body: countDown(ROWS, row),
  };
}

/** colSum(out, x, rows, n4): out[j] = Σ_rows x[r][j], summed in row order. */
function colSum(): FuncDef {
  const [OUT, X, ROWS, N4] = [0, 1, 2, 3];
  const [P, J] = [4, 5];
  const zero: Bytes = [...get(OUT), ...set(P), ...get(N4), ...set(J)];
  zero.push(...countDown(J, [...get(P), ...v128zero, ...v128store(0), ...bump(P, 16)]));
  const add: Bytes = [
    ...get(P),
    ...get(P),
    ...v128load(0),
    ...get(X),
    ...v128load(0),
    ...f32x4add,
    ...v128store(0),
    ...bump(P, 16),
    ...bump(X, 16),
  ];
  const row: Bytes = [...get(OUT), ...set(P), ...get(N4), ...set(J), ...countDown(J, add)];
  return {
    name: 'colSum',
    params: [I32, I32, I32, I32],
    results: [],
    locals: [I32, I32],
    body: [...zero, ...countDown(ROWS, row)],
  };
}

/** reluGrad(out, dy, y, n4): out = y > 0 ? dy : 0 (tfjs' relu gradient; y > 0 exactly where x > 0). */
function reluGrad(): FuncDef {
  const [OUT, DY, Y, N4] = [0, 1, 2, 3];
  const group: Bytes = [
    ...get(OUT),
    ...get(DY),
    ...v128load(0),
    ...get(Y),
    ...v128load(0),
    ...v128zero,
    ...f32x4gt,
    ...v128and,
    ...v128store(0),
    ...bump(OUT, 16),
    ...bump(DY, 16),
    ...bump(Y, 16),
  ];
  return {
    name: 'reluGrad',
    params: [I32, I32, I32, I32],
    results: [],
    locals: [],
    body: countDown(N4, group),
  };
}

/** rowScale(out, g, s, rows, n4): out[r] = g[r]·s[r], s one float per row. */
function rowScale(): FuncDef {
  const [OUT, G, S, ROWS, N4] = [0, 1, 2, 3, 4];
  const J = 5;
  const SV = 6;
  const group: Bytes = [
    ...get(OUT),
    ...get(G),
    ...v128load(0),
    ...get(SV),
    ...f32x4mul,
    ...v128store(0),
    ...bump(OUT, 16),
    ...bump(G, 16),
  ];
  const row: Bytes = [
    ...get(S),
    ...f32load(0),
    ...f32x4splat,
    ...set(SV),
    ...bump(S, 4),
    ...get(N4),
    ...set(J),
    ...countDown(J, group),
  ];
  return {
    name: 'rowScale',
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, V128],
    body: countDown(ROWS, row),
  };
}

// Cephes' expf: exp(r) ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2, ln 2 split in two so
// that n·C1 is exact.
const EXP_C1 = 0.693359375;
const EXP_C2 = -2.1219444e-4;
const EXP_P = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];

/**
 * bce(x, l, g, out, rows, cols4, limit): per row, the binary cross-entropy
 * from logits summed over the row, and its gradient:
 *   l' = clip(l, −limit, limit), e = exp(−|l'|),
 *   out[r] = Σ softplus(l') − x·l',  softplus(l') = max(l', 0) + log1p(e),
 *   g = (σ(l') − x) where −limit ≤ l ≤ limit, else 0 (the clip's gradient),
 *   σ(l') = 1/(1+e) for l' ≥ 0, e/(1+e) below.
 * exp by Cephes' polynomial (|l'| ≤ limit ≈ 16.1, so 2⁻ⁿ stays a normal
 * float); log1p(e), e in (0, 1], as 2·atanh(e/(2+e)) by its series in
 * s² ≤ 1/9, exact to float32 after eight terms.
 */
function bce(): FuncDef {
  const [X, L, G, OUT, ROWS, COLS4] = [0, 1, 2, 3, 4, 5];
  const LIMIT = 6; // f32 param
  const J = 7;
  // v128 locals
  let next = 8;
  const v = (): number => next++;
  const [LIM, NLIM, ONE, TWO, LOG2E, C1, C2] = [v(), v(), v(), v(), v(), v(), v()];
  const PS = EXP_P.map(() => v());
  const SERIES = [1 / 15, 1 / 13, 1 / 11, 1 / 9, 1 / 7, 1 / 5, 1 / 3];
  const QS = SERIES.map(() => v());
  const I127 = v();
  const [LV, LC, MASK, N, R, Q, E, RR, XV, S, S2, ACC] = [
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
    v(),
  ];
  const vLocals = next - 8;

  const body: Bytes = [
    ...get(LIMIT),
    ...f32x4splat,
    ...set(LIM),
    ...f32c(0),
    ...get(LIMIT),
    ...[0x93], // f32.sub: −limit
    ...f32x4splat,
    ...set(NLIM),
    ...splatF32(ONE, 1),
    ...splatF32(TWO, 2),
    ...splatF32(LOG2E, Math.LOG2E),
    ...splatF32(C1, EXP_C1),
    ...splatF32(C2, EXP_C2),
    ...i32c(127),
    ...i32x4splat,
    ...set(I127),
  ];
  EXP_P.forEach((c, i) => body.push(...splatF32(PS[i]!, c)));
  SERIES.forEach((c, i) => body.push(...splatF32(QS[i]!, c)));

  const group: Bytes = [
    // mask = −limit ≤ l ≤ limit; l' = clip(l)
    ...get(L),
    ...v128load(0),
    ...set(LV),
    ...get(LV),
    ...get(NLIM),
    ...f32x4ge,
    ...get(LV),
    ...get(LIM),
    ...f32x4le,
    ...v128and,
    ...set(MASK),
    ...get(LV),
    ...get(NLIM),
    ...f32x4max,
    ...get(LIM),
    ...f32x4min,
    ...set(LC),
    // n = nearest(|l'|·log2 e); r = (n·C1 − |l'|) + n·C2
    ...get(LC),
    ...f32x4abs,
    ...get(LOG2E),
    ...f32x4mul,
    ...f32x4nearest,
    ...set(N),
    ...get(N),
    ...get(C1),
    ...f32x4mul,
    ...get(LC),
    ...f32x4abs,
    ...f32x4sub,
    ...get(N),
    ...get(C2),
    ...f32x4mul,
    ...f32x4add,
    ...set(R),
    // q = P(r) by Horner
    ...get(PS[0]!),
    ...set(Q),
  ];
  for (let i = 1; i < EXP_P.length; i++)
    group.push(...get(Q), ...get(R), ...f32x4mul, ...get(PS[i]!), ...f32x4add, ...set(Q));
  group.push(
    // e = (q·r² + r + 1)·2⁻ⁿ, 2⁻ⁿ built from its exponent bits
    ...get(Q),
    ...get(R),
    ...f32x4mul,
    ...get(R),
    ...f32x4mul,
    ...get(R),
    ...f32x4add,
    ...get(ONE),
    ...f32x4add,
    ...get(I127),
    ...get(N),
    ...i32x4truncSatF32x4S,
    ...i32x4sub,
    ...i32c(23),
    ...i32x4shl,
    ...f32x4mul,
    ...set(E),
    // g = (σ(l') − x) & mask
    ...get(ONE),
    ...get(ONE),
    ...get(E),
    ...f32x4add,
    ...f32x4div,
    ...set(RR),
    ...get(X),
    ...v128load(0),
    ...set(XV),
    ...get(G),
    ...get(RR),
    ...get(E),
    ...get(RR),
    ...f32x4mul,
    ...get(LC),
    ...v128zero,
    ...f32x4ge,
    ...v128bitselect,
    ...get(XV),
    ...f32x4sub,
    ...get(MASK),
    ...v128and,
    ...v128store(0),
    // s = e/(2+e); log1p(e) = 2s·(1 + s²/3 + s⁴/5 + …)
    ...get(E),
    ...get(TWO),
    ...get(E),
    ...f32x4add,
    ...f32x4div,
    ...set(S),
    ...get(S),
    ...get(S),
    ...f32x4mul,
    ...set(S2),
    ...get(QS[0]!),
    ...set(Q),
  );
  for (let i = 1; i < SERIES.length; i++)
    group.push(...get(Q), ...get(S2), ...f32x4mul, ...get(QS[i]!), ...f32x4add, ...set(Q));
  group.push(
    // acc += max(l', 0) + 2s·(q·s² + 1) − x·l'
    ...get(ACC),
    ...get(LC),
    ...v128zero,
    ...f32x4max,
    ...get(S),
    ...get(S),
    ...f32x4add,
    ...get(Q),
    ...get(S2),
    ...f32x4mul,
    ...get(ONE),
    ...f32x4add,
    ...f32x4mul,
    ...f32x4add,
    ...get(XV),
    ...get(LC),
    ...f32x4mul,
    ...f32x4sub,
    ...f32x4add,
    ...set(ACC),
    ...bump(X, 16),
    ...bump(L, 16),
    ...bump(G, 16),
  );
  const row: Bytes = [...v128zero, ...set(ACC), ...get(COLS4), ...set(J), ...countDown(J, group)];
  // out[r] = ((a0 + a1) + a2) + a3
  row.push(...get(OUT), ...get(ACC), ...f32x4extractLane(0), ...get(ACC), ...f32x4extractLane(1), ...f32add);
  row.push(...get(ACC), ...f32x4extractLane(2), ...f32add, ...get(ACC), ...f32x4extractLane(3), ...f32add);
  row.push(...f32store(0), ...bump(OUT, 4));
  body.push(...countDown(ROWS, row));
  return {
    name: 'bce',
    params: [I32, I32, I32, I32, I32, I32, F32],
    results: [],
    locals: [I32, ...new Array<number>(vLocals).fill(V128)],
    body,
  };
}

/** The functions of this file, for the kernels module (wasm-gemm.ts). */
export function elementwiseFuncs(): FuncDef[] {
  return [pack8(), packT8(), biasAct(true), biasAct(false), colSum(), reluGrad(), rowScale(), bce()];
}
