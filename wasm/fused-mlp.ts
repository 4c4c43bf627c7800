// One training step of the MLP VAE (model-spec.ts' planMlp) as one call:
// forward, loss, backward (without the input's gradient) and Adam, on weights,
// moments and activations that stay in this shared memory for the whole run.
// The host (src-main/training/fused/fused-mlp.ts) lays out the buffers and
// writes a plan (the words below) once; each step it writes the batch, ε and
// Adam's scalars, and every thread calls step(plan, thread, threads).
//
// Work is split among threads by output rows or columns only, so every float
// is computed by one thread in one fixed order: any thread count gives the same
// bits. Padding: every layer's output width is stored padded to a multiple of
// 8 (Np); padded weight columns, biases, activations and gradients are 0 and
// stay 0 (Adam moves a weight whose gradient is always 0 by 0).

import {
  adam,
  bceRows,
  colLists,
  colSums,
  gemmNT,
  gemmPanels,
  rowLists,
  sparseCols,
  sparseRows,
} from './lib/mlp-kernels';
import { barrier } from './lib/barrier';

// Plan words (i32 unless marked f32), at plan + 4·index.
const BATCH = 0; // rows of this call
const ENC = 1; // encoder hidden layers E; layers: [0, E) encoder, E z_mu, E+1 z_log_var, [E+2, 2E+2) decoder hidden, 2E+2 output
const LATENT = 2;
const PIXELS = 3;
const X = 4; // input batch [rows, pixels], row stride XS floats
const XS = 5;
const EPS = 6; // ε [rows, latent padded], stride = the latent heads' Np
const Z = 7; // z, same stride
const DZ = 8; // ∂loss/∂z, same stride
const RECON = 9; // per-row BCE sums [rows]
const KL = 10; // per-row KL [rows]
const SPARSE = 11; // 1: the first layer skips the input's exact zeros
const ROW_NNZ = 12; // row lists of the input's nonzeros (capacity PIXELS a row)
const ROW_IDX = 13;
const ROW_VAL = 14;
const COL_NNZ = 15; // column lists (capacity COL_CAP a column)
const COL_IDX = 16;
const COL_VAL = 17;
const COL_CAP = 18;
const BARRIER = 19; // 8 bytes
const PARAMS = 20; // every weight and bias, one block; moments and gradients in the same layout
const MOMENT1 = 21;
const MOMENT2 = 22;
const GRADS = 23;
const PARAM_COUNT = 24; // floats, a multiple of 4
const LIMIT = 25; // f32: the BCE's logit clip
const ROW_SCALE = 26; // f32: ∂loss/∂(a row's BCE) = 1/rows
const KL_SCALE = 27; // f32: ∂loss/∂(a row's KL) = β/rows
const ADAM = 28; // f32 × 8: b1, c1, b2, c2, d1, d2, eps, −lr
export const LAYERS = 40; // first layer record
// Layer record words.
const L_K = 0; // inputs
const L_NP = 1; // outputs, padded to a multiple of 8
const L_W = 2; // [K, Np]
const L_B = 3; // [Np]
const L_GW = 4;
const L_GB = 5;
const L_IN = 6; // input activations (stride L_INS floats)
const L_INS = 7;
const L_OUT = 8; // output activations [rows, Np]
const L_DOUT = 9; // ∂loss/∂(pre-activation output) [rows, Np]
const L_DIN = 10; // where ∂loss/∂input goes (the layer below's L_DOUT, or DZ); 0: not needed
const L_RELU = 11; // 1: ReLU output
const L_MASK = 12; // 1: ∂input is masked by input > 0 (the layer below is ReLU)
export const RECORD = 16;

export function heapBase(): usize {
  return __heap_base;
}

function word(plan: usize, i: i32): i32 {
  return load<i32>(plan + ((<usize>i) << 2));
}
function ptr(plan: usize, i: i32): usize {
  return <usize>load<i32>(plan + ((<usize>i) << 2));
}
function real(plan: usize, i: i32): f32 {
  return load<f32>(plan + ((<usize>i) << 2));
}
function layer(plan: usize, l: i32): usize {
  return plan + ((<usize>(LAYERS + l * RECORD)) << 2);
}
function lw(rec: usize, i: i32): i32 {
  return load<i32>(rec + ((<usize>i) << 2));
}
/** Thread t's share [part(n, t), part(n, t + 1)) of n items. */
function part(n: i32, t: i32, threads: i32): i32 {
  return <i32>((<i64>n * t) / threads);
}

/** A layer's forward product for this thread's output panels. */
function forwardLayer(plan: usize, l: i32, rows: i32, thread: i32, threads: i32): void {
  const rec = layer(plan, l);
  const np = lw(rec, L_NP);
  const panels = np >> 3;
  const p0 = part(panels, thread, threads);
  const p1 = part(panels, thread + 1, threads);
  const relu = lw(rec, L_RELU) != 0;
  const ldy = (<usize>np) << 2;
  if (l == 0 && word(plan, SPARSE) != 0) {
    sparseRows(
      ptr(plan, ROW_NNZ),
      ptr(plan, ROW_IDX),
      ptr(plan, ROW_VAL),
      word(plan, PIXELS),
      <usize>lw(rec, L_W),
      ldy,
      <usize>lw(rec, L_OUT),
      ldy,
      <usize>lw(rec, L_B),
      rows,
      p0,
      p1,
      relu,
    );
    return;
  }
  gemmPanels(
    <usize>lw(rec, L_IN),
    (<usize>lw(rec, L_INS)) << 2,
    4,
    <usize>lw(rec, L_W),
    ldy,
    <usize>lw(rec, L_OUT),
    ldy,
    rows,
    lw(rec, L_K),
    p0,
    p1,
    <usize>lw(rec, L_B),
    relu,
  );
}

/**
 * A layer's gradients from its L_DOUT: ∂input (this thread's input columns),
 * ∂W (its rows of W, the same range), ∂b (its output panels).
 */
function backwardLayer(plan: usize, l: i32, rows: i32, thread: i32, threads: i32, accumulate: bool): void {
  const rec = layer(plan, l);
  const k = lw(rec, L_K);
  const np = lw(rec, L_NP);
  const ld = (<usize>np) << 2;
  const ins = (<usize>lw(rec, L_INS)) << 2;
  const input = <usize>lw(rec, L_IN);
  const dout = <usize>lw(rec, L_DOUT);
  const k0 = part(k, thread, threads);
  const k1 = part(k, thread + 1, threads);
  const din = <usize>lw(rec, L_DIN);
  if (din) {
    const mask = lw(rec, L_MASK) != 0 ? input : 0;
    gemmNT(dout, ld, <usize>lw(rec, L_W), ld, din, ins, rows, np >> 2, k0, k1, accumulate, mask, ins);
  }
  const gw = <usize>lw(rec, L_GW);
  if (l == 0 && word(plan, SPARSE) != 0) {
    sparseCols(
      ptr(plan, COL_NNZ),
      ptr(plan, COL_IDX),
      ptr(plan, COL_VAL),
      word(plan, COL_CAP),
      dout,
      ld,
      gw,
      ld,
      k0,
      k1,
      np >> 3,
    );
  } else {
    // ∂W(k, ·) = Σ_rows input(row, k)·dout(row, ·): Aᵀ read with a column stride.
    gemmPanels(
      input + ((<usize>k0) << 2),
      4,
      ins,
      dout,
      ld,
      gw + <usize>k0 * ld,
      ld,
      k1 - k0,
      rows,
      0,
      np >> 3,
      0,
      false,
    );
  }
  const panels = np >> 3;
  colSums(
    dout,
    ld,
    rows,
    <usize>lw(rec, L_GB),
    part(panels, thread, threads),
    part(panels, thread + 1, threads),
  );
}

/** Forward pass through the per-row loss terms (RECON, KL) and the logits' gradient. */
function forward(plan: usize, thread: i32, threads: i32, training: bool): void {
  const rows = word(plan, BATCH);
  const enc = word(plan, ENC);
  const latent = word(plan, LATENT);
  const pixels = word(plan, PIXELS);
  const sync = ptr(plan, BARRIER);
  const x = ptr(plan, X);
  const xs = (<usize>word(plan, XS)) << 2;
  const sparse = word(plan, SPARSE) != 0;
  if (sparse) {
    rowLists(
      x,
      xs,
      pixels,
      part(rows, thread, threads),
      part(rows, thread + 1, threads),
      ptr(plan, ROW_NNZ),
      ptr(plan, ROW_IDX),
      ptr(plan, ROW_VAL),
      pixels,
    );
    barrier(sync, threads);
    // Column lists (for the first layer's weight gradient only), built from the row lists.
    if (training)
      colLists(
        ptr(plan, ROW_NNZ),
        ptr(plan, ROW_IDX),
        ptr(plan, ROW_VAL),
        pixels,
        rows,
        part(pixels, thread, threads),
        part(pixels, thread + 1, threads),
        ptr(plan, COL_NNZ),
        ptr(plan, COL_IDX),
        ptr(plan, COL_VAL),
        word(plan, COL_CAP),
      );
  }
  for (let l = 0; l < enc; l++) {
    forwardLayer(plan, l, rows, thread, threads);
    barrier(sync, threads);
  }
  forwardLayer(plan, enc, rows, thread, threads);
  forwardLayer(plan, enc + 1, rows, thread, threads);
  barrier(sync, threads);

  // z = μ + exp(log σ²/2)·ε and the per-row KL, in double as the JS kernels compute them.
  const mu = <usize>lw(layer(plan, enc), L_OUT);
  const logVar = <usize>lw(layer(plan, enc + 1), L_OUT);
  const lds = (<usize>lw(layer(plan, enc), L_NP)) << 2;
  const eps = ptr(plan, EPS);
  const z = ptr(plan, Z);
  const kl = ptr(plan, KL);
  const r0 = part(rows, thread, threads);
  const r1 = part(rows, thread + 1, threads);
  for (let i = r0; i < r1; i++) {
    let sum: f64 = 0;
    for (let j = 0; j < latent; j++) {
      const o = <usize>i * lds + ((<usize>j) << 2);
      const m = <f64>load<f32>(mu + o);
      const v = <f64>load<f32>(logVar + o);
      store<f32>(z + o, <f32>(m + Math.exp(v * 0.5) * <f64>load<f32>(eps + o)));
      sum += 1 + v - m * m - Math.exp(v);
    }
    store<f32>(kl + ((<usize>i) << 2), <f32>(-0.5 * sum));
  }
  barrier(sync, threads);

  const last = 2 * enc + 2;
  for (let l = enc + 2; l <= last; l++) {
    forwardLayer(plan, l, rows, thread, threads);
    barrier(sync, threads);
  }
  const out = layer(plan, last);
  const ldl = (<usize>lw(out, L_NP)) << 2;
  bceRows(
    x,
    xs,
    <usize>lw(out, L_OUT),
    ldl,
    <usize>lw(out, L_DOUT),
    pixels,
    r0,
    r1,
    real(plan, LIMIT),
    real(plan, ROW_SCALE),
    ptr(plan, RECON),
  );
}

/** The loss terms of a batch without training (the test pass). */
export function evaluate(plan: usize, thread: i32, threads: i32): void {
  forward(plan, thread, threads, false);
}

/** One training step: forward, loss, backward, Adam. */
export function step(plan: usize, thread: i32, threads: i32): void {
  forward(plan, thread, threads, true);
  const sync = ptr(plan, BARRIER);
  barrier(sync, threads);
  const rows = word(plan, BATCH);
  const enc = word(plan, ENC);
  const latent = word(plan, LATENT);
  const last = 2 * enc + 2;
  for (let l = last; l >= enc + 2; l--) {
    backwardLayer(plan, l, rows, thread, threads, false);
    barrier(sync, threads);
  }

  // ∂μ = ∂z + s·μ and ∂log σ² = ∂z·ε·exp(log σ²/2)/2 + s·(exp(log σ²) − 1)/2, s = β/rows:
  // the reparameterisation's and the KL's gradients, each rounded to float32 and then added, as tfjs does.
  const muRec = layer(plan, enc);
  const lvRec = layer(plan, enc + 1);
  const mu = <usize>lw(muRec, L_OUT);
  const logVar = <usize>lw(lvRec, L_OUT);
  const dmu = <usize>lw(muRec, L_DOUT);
  const dlv = <usize>lw(lvRec, L_DOUT);
  const lds = (<usize>lw(muRec, L_NP)) << 2;
  const eps = ptr(plan, EPS);
  const dz = ptr(plan, DZ);
  const s = <f64>real(plan, KL_SCALE);
  for (let i = part(rows, thread, threads); i < part(rows, thread + 1, threads); i++) {
    for (let j = 0; j < latent; j++) {
      const o = <usize>i * lds + ((<usize>j) << 2);
      const d = load<f32>(dz + o);
      const m = load<f32>(mu + o);
      const v = <f64>load<f32>(logVar + o);
      store<f32>(dmu + o, d + <f32>(s * <f64>m));
      const fromZ = <f32>(<f64>d * <f64>load<f32>(eps + o) * Math.exp(v * 0.5) * 0.5);
      store<f32>(dlv + o, fromZ + <f32>(s * 0.5 * (Math.exp(v) - 1)));
    }
  }
  barrier(sync, threads);
  // The two heads' input gradients add up in the layer below's L_DOUT; the second
  // applies that layer's ReLU mask (its record has L_MASK, the first's not).
  backwardLayer(plan, enc, rows, thread, threads, false);
  backwardLayer(plan, enc + 1, rows, thread, threads, true);
  barrier(sync, threads);
  for (let l = enc - 1; l >= 0; l--) {
    backwardLayer(plan, l, rows, thread, threads, false);
    barrier(sync, threads);
  }

  const count = word(plan, PARAM_COUNT) >> 2;
  adam(
    ptr(plan, PARAMS),
    ptr(plan, MOMENT1),
    ptr(plan, MOMENT2),
    ptr(plan, GRADS),
    part(count, thread, threads) << 2,
    part(count, thread + 1, threads) << 2,
    real(plan, ADAM),
    real(plan, ADAM + 1),
    real(plan, ADAM + 2),
    real(plan, ADAM + 3),
    real(plan, ADAM + 4),
    real(plan, ADAM + 5),
    real(plan, ADAM + 6),
    real(plan, ADAM + 7),
  );
  // The next call's first phase reads what this one's Adam wrote.
  barrier(sync, threads);
}
