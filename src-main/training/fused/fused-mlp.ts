import type { LossTerms } from '../../../shared/run';
import { type NamedArray, accBetaNames, iterationsName, weightMap } from '../checkpoint';
import { BCE_EPSILON } from '../loss';
import { type DenseLayer, type ModelSpec, planLayers, planModel } from '../model-spec';
import { KernelThreads, type LoadedModule } from '../kernels/threads';
import { type SharedMemory, ensureMemory, sharedMemory } from '../kernels/wasm-module';

/**
 * The MLP VAE's training step as one call into wasm/fused-mlp.ts: weights,
 * Adam's moments and every activation live in one shared WebAssembly memory
 * for the whole run; a step writes the batch and ε there, runs forward, loss,
 * backward and Adam without a tfjs dispatch or an allocation, and returns the
 * loss terms. Computes what step.ts' tfjs graph computes (same loss, same
 * Adam with the same float32 scalars and accumulated β powers), to float
 * tolerance: its products sum in another order (test/unit/training/fused).
 * Weights and Adam's state go in and out in the checkpoint format.
 */

/** The exports of wasm/fused-mlp.ts. */
interface FusedExports {
  heapBase(): number;
  step(plan: number, thread: number, threads: number): void;
  evaluate(plan: number, thread: number, threads: number): void;
}

// Plan words: wasm/fused-mlp.ts.
const W = {
  batch: 0,
  enc: 1,
  latent: 2,
  pixels: 3,
  x: 4,
  xs: 5,
  eps: 6,
  z: 7,
  dz: 8,
  recon: 9,
  kl: 10,
  sparse: 11,
  rowNnz: 12,
  rowIdx: 13,
  rowVal: 14,
  colNnz: 15,
  colIdx: 16,
  colVal: 17,
  colCap: 18,
  barrier: 19,
  params: 20,
  m: 21,
  v: 22,
  grads: 23,
  paramCount: 24,
  limit: 25,
  rowScale: 26,
  klScale: 27,
  adam: 28,
} as const;
const LAYERS = 40;
const RECORD = 16;
const R = {
  k: 0,
  np: 1,
  w: 2,
  b: 3,
  gw: 4,
  gb: 5,
  in: 6,
  ins: 7,
  out: 8,
  dout: 9,
  din: 10,
  relu: 11,
  mask: 12,
};

/** Keras' fuzz factor as a logit clip, as loss.ts applies it. */
const LOGIT_LIMIT = Math.fround(Math.log((1 - BCE_EPSILON) / BCE_EPSILON));

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The most memory a fused step may lay out (its addresses are i32 words in the plan). */
const MAX_BYTES = 1 << 30;

/** Bytes of the layout for `rows` rows (an upper bound: alignment padding included). */
function layoutBytes(spec: ModelSpec, rows: number): number {
  const pixels = spec.image.height * spec.image.width * spec.image.channels;
  const layers = planLayers(planModel(spec)).filter((l): l is DenseLayer => l.kind === 'dense');
  const params = layers.reduce((sum, l) => sum + l.inputs * pad8(l.units) + pad8(l.units), 0);
  const activations = layers.reduce((sum, l) => sum + 2 * rows * pad8(l.units), 0);
  // Input, its row and column lists (index and value each), ε, z, ∂z, per-row terms.
  const perRow = rows * (5 * pixels + 3 * pad8(spec.latentDim) + 3);
  return 4 * (4 * params + activations + perRow + pixels) + 64 * (layers.length * 3 + 40) + 4096;
}

/**
 * Why the fused step cannot train this model with calls of up to `rows` rows
 * (the training loop then runs the tfjs graph), or null: only the mlp
 * architecture has a fused step (conv trains with the graph), and its buffers
 * must fit in {@link MAX_BYTES}.
 */
export function fusedUnsupported(spec: ModelSpec, rows = 1): string | null {
  if (spec.arch !== 'mlp') return `the ${spec.arch} architecture has no fused step`;
  if (layoutBytes(spec, rows) > MAX_BYTES)
    return `its buffers for ${rows} images at a time would exceed ${MAX_BYTES / 2 ** 30} GiB`;
  return null;
}

/** Whether a data set's images are sparse enough (mostly exact zeros) for the first layer to skip them. */
export function mostlyZeros(images: Uint8Array, sample = 1 << 20): boolean {
  const n = Math.min(images.length, sample);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (images[i] === 0) zeros++;
  // Below about half zeros the lists cost more than the multiplications they skip.
  return n > 0 && zeros >= n / 2;
}

export interface FusedMlpArgs {
  spec: ModelSpec;
  /** Rows of a training step (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Rows of an evaluation call; the batch size by default. */
  evalBatchSize?: number;
  /** Every weight of the plan (model-spec.ts names and shapes). */
  weights: readonly NamedArray[];
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Adam's ε: tfjs' backend epsilon (1e-7 on wasm and cpu). */
  epsilon: number;
  /** The module with fused multiply-add (relaxed SIMD must be enabled in the engine). */
  fma: boolean;
  /** The first layer skips the input's exact zeros (same result to the bit); false: dense. */
  sparse: boolean;
  /** Threads that share each call (split by output rows and columns: the same bits for any count); 1 by default. */
  threads?: number;
}

interface LayerBuffers {
  layer: DenseLayer;
  np: number;
  /** Float offsets in the parameter block. */
  w: number;
  b: number;
  out: number;
  dout: number;
}

export class FusedMlp {
  readonly memory: SharedMemory;
  readonly spec: ModelSpec;
  private readonly plan: number;
  private readonly pixels: number;
  private readonly latent: number;
  private readonly latentStride: number;
  private readonly maxRows: number;
  private readonly layers: LayerBuffers[];
  private readonly paramCount: number;
  private readonly at: {
    params: number;
    m: number;
    v: number;
    g: number;
    x: number;
    eps: number;
    recon: number;
    kl: number;
  };
  private readonly learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  /** Adam's step count and β powers as tfjs' Adam holds them (float32). */
  private iterations = 0;
  private accBeta1: number;
  private accBeta2: number;

  /**
   * A fused step on `args.threads` threads (kernels/threads.ts; the caller is
   * thread 0). Throws when the model is not one it trains ({@link fusedUnsupported}).
   */
  static async create(args: FusedMlpArgs): Promise<FusedMlp> {
    const reason = fusedUnsupported(args.spec, Math.max(args.batchSize, args.evalBatchSize ?? 0));
    if (reason) throw new Error(`The fused step cannot train this model: ${reason}.`);
    const threads = Math.max(1, Math.floor(args.threads ?? 1));
    const pool = await KernelThreads.start(threads, sharedMemory(1 << 16));
    try {
      return new FusedMlp(args, pool, pool.load<FusedExports>('fused-mlp', args.fma));
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  private constructor(
    args: FusedMlpArgs,
    private readonly pool: KernelThreads,
    private readonly module: LoadedModule<FusedExports>,
  ) {
    this.spec = args.spec;
    const plan = planModel(args.spec);
    this.pixels = plan.pixels;
    this.latent = args.spec.latentDim;
    this.learningRate = args.learningRate;
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon;
    this.accBeta1 = Math.fround(this.beta1);
    this.accBeta2 = Math.fround(this.beta2);
    this.maxRows = Math.max(1, args.batchSize, args.evalBatchSize ?? 0);
    const dense = planLayers(plan).filter((l): l is DenseLayer => l.kind === 'dense');
    const enc = args.spec.hidden.length;

    this.memory = pool.memory;
    // A bump allocator above the module's data, 64-byte aligned (a cache line: the barrier shares none).
    let top = module.exports.heapBase();
    const alloc = (bytes: number): number => {
      top = Math.ceil(top / 64) * 64;
      const at = top;
      top += bytes;
      return at;
    };
    const rows = this.maxRows;
    this.plan = alloc((LAYERS + dense.length * RECORD) * 4);
    const barrier = alloc(8);
    let count = 0;
    const offsets = dense.map((layer) => {
      const np = pad8(layer.units);
      const w = count;
      count += layer.inputs * np;
      const b = count;
      count += np;
      return { layer, np, w, b };
    });
    this.paramCount = count;
    const params = alloc(count * 4);
    const m = alloc(count * 4);
    const v = alloc(count * 4);
    const g = alloc(count * 4);
    const x = alloc(rows * this.pixels * 4);
    this.latentStride = pad8(this.latent);
    const eps = alloc(rows * this.latentStride * 4);
    const z = alloc(rows * this.latentStride * 4);
    const dz = alloc(rows * this.latentStride * 4);
    const recon = alloc(rows * 4);
    const kl = alloc(rows * 4);
    const rowNnz = alloc(rows * 4);
    const rowIdx = alloc(rows * this.pixels * 4);
    const rowVal = alloc(rows * this.pixels * 4);
    const colNnz = alloc(this.pixels * 4);
    const colIdx = alloc(rows * this.pixels * 4);
    const colVal = alloc(rows * this.pixels * 4);
    this.layers = offsets.map((o) => ({
      ...o,
      out: alloc(rows * o.np * 4),
      dout: alloc(rows * o.np * 4),
    }));
    ensureMemory(this.memory, top);
    this.at = { params, m, v, g, x, eps, recon, kl };

    const words = new Int32Array(this.memory.buffer, this.plan, LAYERS + dense.length * RECORD);
    const reals = new Float32Array(this.memory.buffer, this.plan, LAYERS);
    words[W.enc] = enc;
    words[W.latent] = this.latent;
    words[W.pixels] = this.pixels;
    words[W.x] = x;
    words[W.xs] = this.pixels;
    words[W.eps] = eps;
    words[W.z] = z;
    words[W.dz] = dz;
    words[W.recon] = recon;
    words[W.kl] = kl;
    words[W.sparse] = args.sparse ? 1 : 0;
    words[W.rowNnz] = rowNnz;
    words[W.rowIdx] = rowIdx;
    words[W.rowVal] = rowVal;
    words[W.colNnz] = colNnz;
    words[W.colIdx] = colIdx;
    words[W.colVal] = colVal;
    words[W.colCap] = rows;
    words[W.barrier] = barrier;
    words[W.params] = params;
    words[W.m] = m;
    words[W.v] = v;
    words[W.grads] = g;
    words[W.paramCount] = count;
    reals[W.limit] = LOGIT_LIMIT;
    // Layers: [0, enc) encoder, enc z_mu, enc + 1 z_log_var, then the decoder (hidden, output).
    this.layers.forEach((buffers, l) => {
      const rec = LAYERS + l * RECORD;
      const { layer, np } = buffers;
      let input: number;
      let inputStride: number;
      let din = 0;
      let mask = 0;
      if (l === 0) {
        input = x;
        inputStride = this.pixels;
      } else if (l === enc + 2) {
        input = z;
        inputStride = this.latentStride;
        din = dz;
      } else {
        // The layer below: the previous one, except that both heads read the encoder's last.
        const below = this.layers[l === enc + 1 ? enc - 1 : l - 1]!;
        input = below.out;
        inputStride = below.np;
        din = below.dout;
        // The second head applies the ReLU mask once both heads' gradients are summed.
        mask = l === enc ? 0 : 1;
      }
      words[rec + R.k] = layer.inputs;
      words[rec + R.np] = np;
      words[rec + R.w] = params + buffers.w * 4;
      words[rec + R.b] = params + buffers.b * 4;
      words[rec + R.gw] = g + buffers.w * 4;
      words[rec + R.gb] = g + buffers.b * 4;
      words[rec + R.in] = input;
      words[rec + R.ins] = inputStride;
      words[rec + R.out] = buffers.out;
      words[rec + R.dout] = buffers.dout;
      words[rec + R.din] = din;
      // The output layer's sigmoid lives in the loss (logits); hidden layers are ReLU, the heads linear.
      words[rec + R.relu] = layer.activation === 'relu' ? 1 : 0;
      words[rec + R.mask] = mask;
    });
    this.setWeights(args.weights);
  }

  get threads(): number {
    return this.pool.count;
  }

  /** Ends the worker threads (the memory goes with the object). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private floats(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  /** Where the next call's input goes: `rows × pixels` floats in [0, 1], image after image. */
  inputView(rows: number): Float32Array {
    return this.floats(this.at.x, rows * this.pixels);
  }

  /** Writes ε, `rows × latentDim`, into the padded rows the module reads. */
  private writeEpsilon(eps: Float32Array, rows: number): void {
    const out = this.floats(this.at.eps, rows * this.latentStride);
    for (let i = 0; i < rows; i++)
      out.set(eps.subarray(i * this.latent, (i + 1) * this.latent), i * this.latentStride);
  }

  private setRows(rows: number): void {
    if (!(Number.isInteger(rows) && rows >= 1 && rows <= this.maxRows))
      throw new RangeError(`A fused call takes 1 to ${this.maxRows} rows, not ${rows}.`);
    const words = new Int32Array(this.memory.buffer, this.plan, LAYERS);
    words[W.batch] = rows;
  }

  private meanOf(at: number, rows: number): number {
    const values = this.floats(at, rows);
    let sum = 0;
    for (let i = 0; i < rows; i++) sum = Math.fround(sum + values[i]!);
    return Math.fround(sum / rows);
  }

  /**
   * One Adam step on the `rows` images in {@link inputView} with noise `eps`
   * (`rows × latentDim`) and KL weight `beta`; returns the batch's loss terms
   * before the update.
   */
  step(args: { rows: number; eps: Float32Array; beta: number }): LossTerms {
    const { rows } = args;
    this.setRows(rows);
    this.writeEpsilon(args.eps, rows);
    const f = Math.fround;
    const reals = new Float32Array(this.memory.buffer, this.plan, LAYERS);
    // ∂(mean over rows)/∂row and ∂(β·mean)/∂row, as tfjs' mean gradient divides.
    reals[W.rowScale] = f(1 / rows);
    reals[W.klScale] = f(f(args.beta) / rows);
    reals.set(
      [
        f(this.beta1),
        f(1 - this.beta1),
        f(this.beta2),
        f(1 - this.beta2),
        f(1 - this.accBeta1),
        f(1 - this.accBeta2),
        f(this.epsilon),
        f(-this.learningRate),
      ],
      W.adam,
    );
    this.pool.run(this.module, 'step', [this.plan]);
    this.iterations += 1;
    this.accBeta1 = f(this.accBeta1 * f(this.beta1));
    this.accBeta2 = f(this.accBeta2 * f(this.beta2));
    const recon = this.meanOf(this.at.recon, rows);
    const kl = this.meanOf(this.at.kl, rows);
    return { loss: f(recon + f(kl * f(args.beta))), recon, kl };
  }

  /**
   * The forward pass on the `rows` images in {@link inputView}: per-image BCE
   * and KL sums, and z_mu / z_log_var (`rows × latentDim`) written to `zMu` /
   * `zLogVar` when given.
   */
  evaluate(args: { rows: number; eps: Float32Array; zMu?: Float32Array; zLogVar?: Float32Array }): {
    reconSum: number;
    klSum: number;
  } {
    const { rows } = args;
    this.setRows(rows);
    this.writeEpsilon(args.eps, rows);
    this.pool.run(this.module, 'evaluate', [this.plan]);
    const enc = this.spec.hidden.length;
    const copy = (from: number, to: Float32Array | undefined): void => {
      if (!to) return;
      const src = this.floats(from, rows * this.latentStride);
      for (let i = 0; i < rows; i++)
        to.set(src.subarray(i * this.latentStride, i * this.latentStride + this.latent), i * this.latent);
    };
    copy(this.layers[enc]!.out, args.zMu);
    copy(this.layers[enc + 1]!.out, args.zLogVar);
    const sum = (at: number): number => this.floats(at, rows).reduce((a, b) => a + b, 0);
    return { reconSum: sum(this.at.recon), klSum: sum(this.at.kl) };
  }

  /** Copies a block (weights, a moment or the gradients) out in model-spec.ts' names and shapes. */
  private readBlock(at: number, suffix: string): NamedArray[] {
    const block = this.floats(at, this.paramCount);
    return this.layers.flatMap(({ layer, np, w, b }) => {
      const kernel = new Float32Array(layer.inputs * layer.units);
      for (let k = 0; k < layer.inputs; k++)
        kernel.set(block.subarray(w + k * np, w + k * np + layer.units), k * layer.units);
      return [
        { name: `${layer.name}/kernel${suffix}`, shape: [layer.inputs, layer.units], data: kernel },
        { name: `${layer.name}/bias${suffix}`, shape: [layer.units], data: block.slice(b, b + layer.units) },
      ];
    });
  }

  private writeBlock(at: number, arrays: readonly NamedArray[], suffix: string): void {
    const block = this.floats(at, this.paramCount);
    const byName = weightMap(arrays);
    for (const { layer, np, w, b } of this.layers) {
      const kernel = byName.get(`${layer.name}/kernel${suffix}`);
      const bias = byName.get(`${layer.name}/bias${suffix}`);
      if (
        !kernel ||
        !bias ||
        kernel.data.length !== layer.inputs * layer.units ||
        bias.data.length !== layer.units
      ) {
        throw new Error(`"${layer.name}${suffix}" is missing or does not fit the model.`);
      }
      for (let k = 0; k < layer.inputs; k++)
        block.set(kernel.data.subarray(k * layer.units, (k + 1) * layer.units), w + k * np);
      block.set(bias.data, b);
    }
  }

  /** Every weight in plan order (copies). */
  readWeights(): NamedArray[] {
    return this.readBlock(this.at.params, '');
  }

  setWeights(weights: readonly NamedArray[]): void {
    this.writeBlock(this.at.params, weights, '');
  }

  /** The last step's gradients, named as the weights (tests compare them with tfjs'). */
  readGradients(): NamedArray[] {
    return this.readBlock(this.at.g, '');
  }

  /** Adam's state in the checkpoint's layout (checkpoint.ts): iterations, every m, every v, the β powers. */
  readOptimizer(): NamedArray[] {
    const scalar = (name: string, value: number): NamedArray => ({
      name,
      shape: [],
      data: new Float32Array([value]),
    });
    const rename = (arrays: NamedArray[], which: 'm' | 'v'): NamedArray[] =>
      arrays.map((a) => ({ ...a, name: `${a.name}/${which}` }));
    return [
      scalar(iterationsName, this.iterations),
      ...rename(this.readBlock(this.at.m, ''), 'm'),
      ...rename(this.readBlock(this.at.v, ''), 'v'),
      scalar(accBetaNames[0], this.accBeta1),
      scalar(accBetaNames[1], this.accBeta2),
    ];
  }

  /**
   * Restores Adam's state from a checkpoint's optimizer entries. Without the β
   * powers (format 1) they are recomputed as tfjs' setWeights does, β^(t+1).
   */
  setOptimizer(state: readonly NamedArray[]): void {
    const byName = weightMap(state);
    const iterations = byName.get(iterationsName)?.data[0] ?? 0;
    this.iterations = iterations;
    if (iterations === 0) return;
    this.writeBlock(this.at.m, state, '/m');
    this.writeBlock(this.at.v, state, '/v');
    const [b1, b2] = accBetaNames.map((name) => byName.get(name)?.data[0]);
    this.accBeta1 = b1 ?? Math.fround(this.beta1 ** (iterations + 1));
    this.accBeta2 = b2 ?? Math.fround(this.beta2 ** (iterations + 1));
  }
}
