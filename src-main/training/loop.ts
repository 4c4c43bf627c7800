import * as tf from '@tensorflow/tfjs-core';
import type { Hyperparams } from '../../shared/hyperparams';
import { manifoldCells } from '../../shared/manifold';
import type { BatchProgress, EpochMetrics, LossTerms, Snapshot } from '../../shared/run';
import { fillBatch } from '../datasets/batch';
import { shuffledIndices } from '../datasets/random';
import type { DatasetSplit, LoadedDataset } from '../datasets/types';
import { gpuRead, missingKernels, webgpuFailure } from './backend';
import {
  type Checkpoint,
  type NamedArray,
  accBetaNames,
  checkpointFormat,
  iterationsName,
  ownedBuffers,
  weightMap,
} from './checkpoint';
import { TrainingError } from './errors';
import './gradients';
import { toUint8 } from './images';
import { betaForEpoch, perImageBce, perImageKl } from './loss';
import { type ModelSpec, ModelSpecError, modelSpecFor } from './model-spec';
import { type Vae, createVae } from './model';
import { createAdam } from './ops';
import type { BatchLoss, FinishedStatus } from './protocol';
import { fillNormal, seededRandom, streams } from './rng';
import { trainStepTensor } from './step';
import { FusedMlp, fusedUnsupported, mostlyZeros } from './fused/fused-mlp';
import { kernelModule } from './kernels/wasm-module';
import {
  type ConvThreads,
  type StartPool,
  kernelThreadCount,
  startRunThreads,
  stopRunThreads,
} from './kernels/conv-threads';

/**
 * The training loop, free of threads and messages: the worker runs it, and
 * tests run it in-process on whatever tfjs backend is already set.
 */

/** What one finished epoch produced. */
export interface EpochResult {
  metrics: EpochMetrics;
  snapshot: Snapshot;
  checkpoint: Checkpoint;
}

export interface TrainCallbacks {
  /** Throttled (see {@link TrainArgs.progressIntervalMs}); the last step of an epoch is always reported. */
  onProgress?: (progress: BatchProgress) => void;
  /**
   * The losses of every step since the previous call, called just before each
   * progress report and when the run stops or diverges mid-epoch (a non-finite
   * step is left out).
   */
  onBatches?: (batches: BatchLoss[]) => void;
  /** Awaited before the next epoch starts. */
  onEpoch?: (result: EpochResult) => void | Promise<void>;
}

export interface TrainResult {
  /** How {@link train} ended; a thrown error means failed. */
  status: FinishedStatus;
  message: string;
  /** The last finished epoch (the checkpoint's epoch when nothing finished), 0 for none. */
  lastEpoch: number;
}

/** Arguments of {@link train}. */
export interface TrainArgs {
  runId: string;
  dataset: LoadedDataset;
  hyperparams: Hyperparams;
  /** Resume after this checkpoint's epoch, with its weights and Adam state. */
  checkpoint?: Checkpoint | null;
  callbacks?: TrainCallbacks;
  /** Polled before every batch; true stops the run (status `stopped`) without finishing the epoch. */
  shouldStop?: () => boolean;
  /** Least time between two progress reports; 100 ms (≤ 10 a second) by default. */
  progressIntervalMs?: number;
  /** Images per batch when evaluating on the test set and decoding figures. */
  evalBatchSize?: number;
  /** Sizes of the per-epoch figures; {@link defaultFigures} by default. */
  figures?: Partial<FigureOptions>;
  /**
   * Threads of the fused MLP step and of the conv model's convolutions on wasm
   * (fused/fused-mlp.ts, kernels/conv-threads.ts); by default the `threads` setting's.
   */
  threads?: number;
  /** How those threads start (tests); threads.ts' pool by default. */
  startKernelThreads?: StartPool;
}

/** What each epoch's snapshot draws. */
export interface FigureOptions {
  /** Test images shown in the gallery: the first ones of the test set. */
  galleryCount: number;
  /** Manifold grid: `manifoldSize × manifoldSize` images over [−manifoldRange, manifoldRange]². */
  manifoldSize: number;
  manifoldRange: number;
  /** Images decoded from the prior. */
  priorCount: number;
}

/** The reference post's figures: 10 gallery digits, a 20×20 manifold over [−2, 2]², and 16 prior samples. */
export const defaultFigures: FigureOptions = {
  galleryCount: 10,
  manifoldSize: 20,
  manifoldRange: 2,
  priorCount: 16,
};

const defaultEvalBatch = 500;

/**
 * Steps whose losses a GPU backend reads back together: a read per step would
 * stall the GPU's queue every step. Divergence is then seen up to this many
 * steps late; the diverged epoch's checkpoint is never kept either way.
 */
const gpuLossReadInterval = 8;

/** Stops the run when the GPU failed: a lost device's reads may return zeros instead of throwing. */
function checkGpu(): void {
  const failure = webgpuFailure();
  if (failure !== null) throw failure;
}

/** The first `limit` images of a split, as views (no copy). */
function limitSplit(split: DatasetSplit, limit: number | null): DatasetSplit {
  if (limit === null || limit >= split.count) return split;
  const pixels = split.count === 0 ? 0 : split.images.length / split.count;
  return {
    images: split.images.subarray(0, limit * pixels),
    labels: split.labels.subarray(0, limit),
    count: limit,
  };
}

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return (
    a.arch === b.arch &&
    a.latentDim === b.latentDim &&
    a.hidden.join(',') === b.hidden.join(',') &&
    a.image.height === b.image.height &&
    a.image.width === b.image.width &&
    a.image.channels === b.image.channels
  );
}

/** Waits for the event loop to turn, so a stop message can arrive between batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

class LossSums {
  loss = 0;
  recon = 0;
  kl = 0;
  images = 0;

  add(args: { terms: LossTerms; images: number }): void {
    this.loss += args.terms.loss * args.images;
    this.recon += args.terms.recon * args.images;
    this.kl += args.terms.kl * args.images;
    this.images += args.images;
  }

  mean(): LossTerms {
    const n = Math.max(this.images, 1);
    return { loss: this.loss / n, recon: this.recon / n, kl: this.kl / n };
  }
}

function finite(terms: LossTerms): boolean {
  return Number.isFinite(terms.loss) && Number.isFinite(terms.recon) && Number.isFinite(terms.kl);
}

/** The bias-correction powers tf.AdamOptimizer (and FusedAdamOptimizer) keep as scalar variables. */
function accBetas(optimizer: tf.Optimizer): [tf.Variable, tf.Variable] | null {
  const { accBeta1, accBeta2 } = optimizer as unknown as { accBeta1?: unknown; accBeta2?: unknown };
  return accBeta1 instanceof tf.Variable && accBeta2 instanceof tf.Variable ? [accBeta1, accBeta2] : null;
}

async function saveOptimizer(args: { optimizer: tf.Optimizer; names: string[] }): Promise<NamedArray[]> {
  const saved = await args.optimizer.getWeights();
  const [iterations, ...moments] = saved;
  try {
    const count = iterations ? ((await gpuRead(iterations.tensor.data()))[0] ?? 0) : 0;
    const out: NamedArray[] = [{ name: iterationsName, shape: [], data: new Float32Array([count]) }];
    const data = await gpuRead(Promise.all(moments.map((moment) => moment.tensor.data())));
    // tfjs' Adam lists all first moments in variable order, then all second moments.
    moments.forEach((moment, i) => {
      const weight = args.names[i % args.names.length];
      const which = i < args.names.length ? 'm' : 'v';
      out.push({
        name: `${weight}/${which}`,
        shape: [...moment.tensor.shape],
        data: new Float32Array(data[i] as Float32Array),
      });
    });
    // Adam multiplies these by β once a step; pow(β, t + 1), which setWeights would use
    // instead, differs in the last bits, and a resumed run would drift from the original.
    // Read asynchronously: on webgpu they live on the GPU.
    const powers = await gpuRead(Promise.all((accBetas(args.optimizer) ?? []).map((power) => power.data())));
    powers.forEach((power, i) => {
      out.push({ name: accBetaNames[i] as string, shape: [], data: new Float32Array(power as Float32Array) });
    });
    return out;
  } finally {
    // getWeights creates the iterations scalar; the moments are the optimizer's own variables.
    iterations?.tensor.dispose();
  }
}

async function restoreOptimizer(args: {
  optimizer: tf.Optimizer;
  vae: Vae;
  state: readonly NamedArray[];
}): Promise<void> {
  const byName = weightMap(args.state);
  const iterations = byName.get(iterationsName)?.data[0] ?? 0;
  if (iterations === 0) return;
  const variables = args.vae.trainableVariables();
  const names = args.vae.weightNames();
  const moment = (which: 'm' | 'v') =>
    names.map((name, i) => {
      const saved = byName.get(`${name}/${which}`);
      const variable = variables[i] as tf.Variable;
      if (!saved || saved.shape.join('x') !== variable.shape.join('x')) {
        throw new TrainingError(
          'invalid_input',
          `The checkpoint's optimizer state does not fit the model ("${name}/${which}").`,
        );
      }
      return {
        name: `${variable.name}/${which}`,
        tensor: tf.tensor(saved.data.slice(), saved.shape, 'float32'),
      };
    });
  const tensors = [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }, ...moment('m'), ...moment('v')];
  try {
    await args.optimizer.setWeights(tensors);
  } finally {
    // setWeights wraps each tensor in a new variable sharing its data; ours can go.
    tf.dispose(tensors.map((t) => t.tensor));
  }
  const powers = accBetas(args.optimizer);
  const saved = accBetaNames.map((name) => byName.get(name)?.data[0]);
  // Absent in format-1 checkpoints: setWeights' pow() values stand (an approximate resume).
  if (powers && saved.every((value): value is number => value !== undefined)) {
    powers.forEach((power, i) => tf.tidy(() => power.assign(tf.scalar(saved[i] as number, 'float32'))));
  }
}

interface Context {
  args: TrainArgs;
  hp: Hyperparams;
  vae: Vae;
  optimizer: tf.Optimizer;
  train: DatasetSplit;
  test: DatasetSplit;
  pixels: number;
  latentDim: number;
  evalBatch: number;
  figures: FigureOptions;
  /** The fused MLP step (fused/fused-mlp.ts) when it trains this run instead of the tfjs graph. */
  fused: FusedMlp | null;
}

type EpochTraining =
  | { status: 'ok'; train: LossTerms; seconds: number }
  | { status: 'stopped' }
  | { status: 'diverged'; message: string };

async function trainEpoch(ctx: Context, args: { epoch: number; beta: number }): Promise<EpochTraining> {
  const { hp, vae, optimizer, train, pixels, latentDim } = ctx;
  const { epoch, beta } = args;
  const batchSize = Math.min(hp.batchSize, train.count);
  const steps = Math.ceil(train.count / batchSize);
  const order = shuffledIndices(train.count, hp.seed + epoch);
  // One buffer for the whole epoch: the set stays uint8 and only a batch is ever float.
  const xBuffer = new Float32Array(batchSize * pixels);
  const epsBuffer = new Float32Array(batchSize * latentDim);
  const variables = vae.trainableVariables();
  const interval = ctx.args.progressIntervalMs ?? 100;
  const sums = new LossSums();
  const started = performance.now();
  let lastReport = -Infinity;
  let pending: BatchLoss[] = [];
  const flush = (): void => {
    if (pending.length > 0) ctx.args.callbacks?.onBatches?.(pending);
    pending = [];
  };
  const readEvery = tf.getBackend() === 'webgpu' ? gpuLossReadInterval : 1;
  // Loss terms of steps not read yet, oldest first.
  let unread: Array<{ step: number; count: number; terms: tf.Tensor1D }> = [];
  const readLosses = async (): Promise<EpochTraining | null> => {
    const batch = unread;
    unread = [];
    // One read-back for them all, and asynchronous: dataSync cannot read a GPU tensor in Node.
    const stacked = batch.length === 1 ? batch[0]!.terms : tf.stack(batch.map((b) => b.terms));
    let values: Float32Array;
    try {
      values = (await gpuRead(stacked.data())) as Float32Array;
    } finally {
      tf.dispose([stacked, ...batch.map((b) => b.terms)]);
    }
    checkGpu();
    for (const [i, { step, count }] of batch.entries()) {
      const diverged = record(step, count, {
        loss: values[3 * i]!,
        recon: values[3 * i + 1]!,
        kl: values[3 * i + 2]!,
      });
      if (diverged) return diverged;
    }
    return null;
  };
  /** Adds a step's losses to the epoch's, or says the run diverged. */
  const record = (step: number, count: number, terms: LossTerms): EpochTraining | null => {
    if (!finite(terms)) {
      flush();
      return {
        status: 'diverged',
        message:
          `The loss became ${terms.loss} at epoch ${epoch}, step ${step} (reconstruction ${terms.recon}, KL ${terms.kl}). ` +
          `Try a smaller learning rate.`,
      };
    }
    sums.add({ terms, images: count });
    pending.push({ step: (epoch - 1) * steps + step, epoch, ...terms });
    return null;
  };

  try {
    return await trainSteps();
  } finally {
    tf.dispose(unread.map((u) => u.terms));
  }

  async function trainSteps(): Promise<EpochTraining> {
    for (let step = 1; step <= steps; step++) {
      if (ctx.args.shouldStop?.()) {
        flush();
        return { status: 'stopped' };
      }
      const { fused } = ctx;
      const count = fillBatch({
        split: train,
        indices: order,
        start: (step - 1) * batchSize,
        count: batchSize,
        // The fused step reads its batch where it lives, in the kernels' memory.
        out: fused ? fused.inputView(batchSize) : xBuffer,
      });
      const eps = epsBuffer.subarray(0, count * latentDim);
      fillNormal(eps, seededRandom(hp.seed, streams.trainEpsilon, epoch, step));

      if (fused) {
        const diverged = record(step, count, fused.step({ rows: count, eps, beta }));
        if (diverged) return diverged;
      } else {
        const x = tf.tensor2d(xBuffer.subarray(0, count * pixels), [count, pixels]);
        const epsilon = tf.tensor2d(eps, [count, latentDim]);
        try {
          unread.push({
            step,
            count,
            terms: trainStepTensor({ vae, optimizer, variables, x, epsilon, beta }),
          });
        } finally {
          x.dispose();
          epsilon.dispose();
        }
        if (unread.length < readEvery && step < steps) {
          await yieldToEventLoop();
          continue;
        }
        const diverged = await readLosses();
        if (diverged) return diverged;
      }

      const now = performance.now();
      if (step === steps || now - lastReport >= interval) {
        lastReport = now;
        flush();
        ctx.args.callbacks?.onProgress?.({
          runId: ctx.args.runId,
          epoch,
          step,
          stepsPerEpoch: steps,
          train: sums.mean(),
          samplesPerSecond: sums.images / Math.max((now - started) / 1000, 1e-9),
        });
      }
      await yieldToEventLoop();
    }
    return { status: 'ok', train: sums.mean(), seconds: (performance.now() - started) / 1000 };
  }
}

type Evaluation =
  { status: 'ok'; test: LossTerms; zMu: Float32Array; zLogVar: Float32Array } | { status: 'stopped' };

/** Test loss over the whole test set, through a sampled z (as Keras' and PyTorch's validation do). */
async function evaluate(ctx: Context, args: { epoch: number; beta: number }): Promise<Evaluation> {
  const { hp, vae, test, pixels, latentDim, evalBatch } = ctx;
  const zMuAll = new Float32Array(test.count * latentDim);
  const zLogVarAll = new Float32Array(test.count * latentDim);
  const batchSize = Math.min(evalBatch, test.count);
  const xBuffer = new Float32Array(batchSize * pixels);
  const epsBuffer = new Float32Array(batchSize * latentDim);
  const indices = indexRange(test.count);
  let recon = 0;
  let kl = 0;
  for (let start = 0, batch = 0; start < test.count; start += batchSize, batch++) {
    if (ctx.args.shouldStop?.()) return { status: 'stopped' };
    const { fused } = ctx;
    const count = fillBatch({
      split: test,
      indices,
      start,
      count: batchSize,
      out: fused ? fused.inputView(batchSize) : xBuffer,
    });
    const eps = epsBuffer.subarray(0, count * latentDim);
    fillNormal(eps, seededRandom(hp.seed, streams.testEpsilon, args.epoch, batch));
    if (fused) {
      const sums = fused.evaluate({
        rows: count,
        eps,
        zMu: zMuAll.subarray(start * latentDim, (start + count) * latentDim),
        zLogVar: zLogVarAll.subarray(start * latentDim, (start + count) * latentDim),
      });
      recon += sums.reconSum;
      kl += sums.klSum;
      await yieldToEventLoop();
      continue;
    }
    const [sums, zMu, zLogVar] = tf.tidy(() => {
      const x = tf.tensor2d(xBuffer.subarray(0, count * pixels), [count, pixels]);
      const encoded = vae.encode(x);
      const z = vae.reparameterize({ ...encoded, epsilon: tf.tensor2d(eps, [count, latentDim]) });
      const bce = tf.sum(perImageBce(x, vae.decodeLogits(z)));
      const kls = tf.sum(perImageKl(encoded.zMu, encoded.zLogVar));
      return [tf.stack([bce, kls]), encoded.zMu, encoded.zLogVar];
    });
    try {
      const [[r = NaN, k = NaN], mu, logVar] = await gpuRead(
        Promise.all([sums.data(), zMu.data(), zLogVar.data()]),
      );
      recon += r;
      kl += k;
      zMuAll.set(mu, start * latentDim);
      zLogVarAll.set(logVar, start * latentDim);
    } finally {
      tf.dispose([sums, zMu, zLogVar]);
    }
    checkGpu();
    await yieldToEventLoop();
  }
  const n = Math.max(test.count, 1);
  const terms = { recon: recon / n, kl: kl / n };
  return {
    status: 'ok',
    test: { loss: terms.recon + args.beta * terms.kl, ...terms },
    zMu: zMuAll,
    zLogVar: zLogVarAll,
  };
}

const rangeCache = new Map<number, Uint32Array>();
function indexRange(count: number): Uint32Array {
  let range = rangeCache.get(count);
  if (!range) {
    range = new Uint32Array(count);
    for (let i = 0; i < count; i++) range[i] = i;
    rangeCache.clear();
    rangeCache.set(count, range);
  }
  return range;
}

/** Decodes latent points (`count × latentDim`, row-major) to uint8 images, in batches. */
async function generateImages(ctx: Context, points: Float32Array): Promise<Uint8Array> {
  const count = points.length / ctx.latentDim;
  const out = new Uint8Array(count * ctx.pixels);
  for (let start = 0; start < count; start += ctx.evalBatch) {
    const n = Math.min(ctx.evalBatch, count - start);
    const probs = tf.tidy(() =>
      ctx.vae.generate(
        tf.tensor2d(points.subarray(start * ctx.latentDim, (start + n) * ctx.latentDim), [n, ctx.latentDim]),
      ),
    );
    try {
      toUint8(await gpuRead(probs.data()), out.subarray(start * ctx.pixels, (start + n) * ctx.pixels));
    } finally {
      probs.dispose();
    }
  }
  return out;
}

/**
 * Latent points of the manifold, laid out as {@link manifoldCells} orders them:
 * a cell's x is z[dimX], its y z[dimY]; the other dimensions are 0. With a 1-D
 * latent space every row is the same sweep of z[0].
 */
export function manifoldPoints(args: { n: number; range: number; latentDim: number }): {
  points: Float32Array;
  dims: [number, number];
} {
  const { n, range, latentDim } = args;
  const dims: [number, number] = latentDim >= 2 ? [0, 1] : [0, 0];
  const points = new Float32Array(n * n * latentDim);
  manifoldCells(n, range).forEach(([x, y], cell) => {
    const at = cell * latentDim;
    points[at + dims[0]] = x;
    if (latentDim >= 2) points[at + dims[1]] = y;
  });
  return { points, dims };
}

async function makeSnapshot(
  ctx: Context,
  args: { epoch: number; zMu: Float32Array; zLogVar: Float32Array },
): Promise<Snapshot> {
  const { hp, test, pixels, latentDim } = ctx;
  const image = ctx.vae.spec.image;
  const { galleryCount, manifoldSize, manifoldRange, priorCount } = ctx.figures;
  const shown = Math.min(galleryCount, test.count);
  const galleryMu = args.zMu.slice(0, shown * latentDim);
  // The same ε every epoch, so the sampled row changes only as the model does.
  const eps = fillNormal(new Float32Array(shown * latentDim), seededRandom(hp.seed, streams.galleryEpsilon));
  const gallerySampled = galleryMu.map(
    (mu, i) => mu + Math.exp(0.5 * (args.zLogVar[i] as number)) * (eps[i] as number),
  );
  const manifold = manifoldPoints({ n: manifoldSize, range: manifoldRange, latentDim });
  const prior = fillNormal(new Float32Array(priorCount * latentDim), seededRandom(hp.seed, streams.prior));

  const klPerDim = new Array<number>(latentDim).fill(0);
  for (let i = 0; i < test.count; i++) {
    for (let d = 0; d < latentDim; d++) {
      const mu = args.zMu[i * latentDim + d] as number;
      const logVar = args.zLogVar[i * latentDim + d] as number;
      klPerDim[d] = (klPerDim[d] as number) - 0.5 * (1 + logVar - mu * mu - Math.exp(logVar));
    }
  }

  return {
    epoch: args.epoch,
    imageShape: { ...image },
    galleryIndices: Array.from({ length: shown }, (_, i) => i),
    gallery: {
      // Copies (not .slice(), which is a view on a Node Buffer): the snapshot's
      // buffers are transferred to another thread, the dataset's must stay.
      original: new Uint8Array(test.images.subarray(0, shown * pixels)),
      mean: await generateImages(ctx, galleryMu),
      sampled: await generateImages(ctx, gallerySampled),
    },
    latent: {
      count: test.count,
      latentDim,
      zMu: args.zMu,
      zLogVar: args.zLogVar,
      labels: new Uint8Array(test.labels.subarray(0, test.count)),
    },
    manifold: {
      n: manifoldSize,
      range: manifoldRange,
      dims: manifold.dims,
      images: await generateImages(ctx, manifold.points),
    },
    prior: { count: priorCount, images: await generateImages(ctx, prior) },
    klPerDim: klPerDim.map((sum) => sum / Math.max(test.count, 1)),
  };
}

/** The buffers of a snapshot, each once, for a postMessage transfer list. */
export function snapshotBuffers(snapshot: Snapshot): ArrayBuffer[] {
  const arrays = [
    snapshot.gallery.original,
    snapshot.gallery.mean,
    snapshot.gallery.sampled,
    snapshot.latent.zMu,
    snapshot.latent.zLogVar,
    snapshot.latent.labels,
    snapshot.manifold.images,
    snapshot.prior.images,
  ];
  return ownedBuffers(arrays);
}

function checkInputs(args: TrainArgs): { spec: ModelSpec; train: DatasetSplit; test: DatasetSplit } {
  const { dataset, hyperparams: hp, checkpoint } = args;
  const { height, width, channels } = dataset.info;
  const spec = modelSpecFor(hp, { height, width, channels });
  if (checkpoint && !sameSpec(checkpoint.spec, spec)) {
    throw new TrainingError(
      'invalid_argument',
      `The checkpoint was made for a different model (${describe(checkpoint.spec)}) than this run's (${describe(spec)}).`,
    );
  }
  const train = limitSplit(dataset.train, hp.trainLimit);
  const test = limitSplit(dataset.test, hp.testLimit);
  if (train.count === 0)
    throw new TrainingError('invalid_input', `The dataset "${dataset.info.name}" has no training images.`);
  if (test.count === 0)
    throw new TrainingError('invalid_input', `The dataset "${dataset.info.name}" has no test images.`);
  const missing = missingKernels({ arch: hp.arch, backend: tf.getBackend() });
  if (missing.length > 0) {
    throw new TrainingError(
      'unavailable',
      `The ${tf.getBackend()} backend cannot train the ${hp.arch} architecture: it has no ${missing.join(', ')} kernel. ` +
        `Choose another backend.`,
    );
  }
  return { spec, train, test };
}

function describe(spec: ModelSpec): string {
  const { height, width, channels } = spec.image;
  return `${spec.arch}, latent ${spec.latentDim}, hidden [${spec.hidden.join(', ')}], ${height}×${width}×${channels}`;
}

/**
 * The fused MLP step for this run, or null where the tfjs graph trains it: on
 * backends other than wasm (the graph is their path and the fused step's
 * reference), for architectures other than mlp (fusedUnsupported says which),
 * and with VAE_STUDIO_FUSED=0 (to compare the two). Starts from the model's
 * weights (its seeded initialisation or the checkpoint's) and the
 * checkpoint's Adam state.
 */
async function createFused(args: {
  spec: ModelSpec;
  hp: Hyperparams;
  vae: Vae;
  train: DatasetSplit;
  evalBatch: number;
  epsilon: number;
  checkpoint: Checkpoint | null;
  threads: number;
}): Promise<FusedMlp | null> {
  if (tf.getBackend() !== 'wasm' || process.env['VAE_STUDIO_FUSED'] === '0') return null;
  const rows = Math.max(Math.min(args.hp.batchSize, args.train.count), args.evalBatch);
  if (fusedUnsupported(args.spec, rows) !== null) return null;
  const fused = await FusedMlp.create({
    spec: args.spec,
    batchSize: Math.min(args.hp.batchSize, args.train.count),
    evalBatchSize: args.evalBatch,
    weights: await args.vae.readWeights(),
    learningRate: args.hp.learningRate,
    epsilon: args.epsilon,
    fma: process.env['VAE_STUDIO_WASM_FMA'] !== '0' && fmaCompiles(),
    sparse: mostlyZeros(args.train.images),
    threads: args.threads,
  });
  if (args.checkpoint) {
    try {
      fused.setOptimizer(args.checkpoint.optimizer);
    } catch (error) {
      await fused.close();
      throw new TrainingError(
        'invalid_input',
        `The checkpoint's optimizer state does not fit the model: ${(error as Error).message}`,
      );
    }
  }
  return fused;
}

/** Whether the engine compiles the fused step's relaxed-SIMD (FMA) build (backend.ts enabled it if it could). */
function fmaCompiles(): boolean {
  try {
    kernelModule('fused-mlp', true);
    return true;
  } catch {
    return false;
  }
}

/**
 * Trains from the checkpoint's epoch + 1 (or 1) to `hyperparams.epochs`.
 * Resolves with `completed`, `stopped` (shouldStop) or `diverged` (a non-finite
 * loss; the epoch's checkpoint is not emitted, so the last good one is the
 * previous epoch's); throws {@link TrainingError} for unusable inputs and
 * anything else for bugs. Every tensor it makes is disposed when it returns.
 */
export async function train(args: TrainArgs): Promise<TrainResult> {
  const hp = args.hyperparams;
  let checked: ReturnType<typeof checkInputs>;
  try {
    checked = checkInputs(args);
  } catch (error) {
    if (error instanceof ModelSpecError) throw new TrainingError(error.code, error.message);
    throw error;
  }
  const firstEpoch = (args.checkpoint?.epoch ?? 0) + 1;
  let lastEpoch = firstEpoch - 1;
  if (firstEpoch > hp.epochs) {
    return {
      status: 'completed',
      message: `Nothing to train: epoch ${lastEpoch} of ${hp.epochs} is already done.`,
      lastEpoch,
    };
  }

  const vae = createVae({ spec: checked.spec, seed: hp.seed, weights: args.checkpoint?.weights });
  // tf.train.adam's update and state layout, fused into one kernel per weight where ops.ts has one.
  const optimizer = createAdam(hp.learningRate);
  const evalBatch = args.evalBatchSize ?? defaultEvalBatch;
  const threads = args.threads ?? kernelThreadCount(hp.threads);
  let fused: FusedMlp | null = null;
  const ctx: Context = {
    args,
    hp,
    vae,
    optimizer,
    train: checked.train,
    test: checked.test,
    pixels: vae.plan.pixels,
    latentDim: hp.latentDim,
    evalBatch,
    figures: { ...defaultFigures, ...args.figures },
    fused: null,
  };
  const stopped = (epoch: number): TrainResult => ({
    status: 'stopped',
    message: `Stopped during epoch ${epoch}; ${lastEpoch > 0 ? `epoch ${lastEpoch} is the last one saved` : 'no epoch was finished'}.`,
    lastEpoch,
  });

  let kernelThreads: ConvThreads | null = null;
  try {
    fused = await createFused({
      spec: checked.spec,
      hp,
      vae,
      train: checked.train,
      evalBatch,
      epsilon: (optimizer as unknown as { epsilon?: number }).epsilon ?? tf.backend().epsilon(),
      checkpoint: args.checkpoint ?? null,
      threads,
    });
    ctx.fused = fused;
    kernelThreads = await startRunThreads({
      threads,
      arch: hp.arch,
      backend: tf.getBackend(),
      ...(args.startKernelThreads ? { startPool: args.startKernelThreads } : {}),
    });
    return await trainEpochs();
  } catch (error) {
    // A GPU fault surfaces as whatever the next op throws; say what happened instead.
    const failure = webgpuFailure();
    if (failure !== null && !(error instanceof TrainingError)) throw failure;
    throw error;
  } finally {
    optimizer.dispose();
    vae.dispose();
    await fused?.close();
    await stopRunThreads(kernelThreads);
  }

  async function trainEpochs(): Promise<TrainResult> {
    if (args.checkpoint && !fused)
      await restoreOptimizer({ optimizer, vae, state: args.checkpoint.optimizer });
    for (let epoch = firstEpoch; epoch <= hp.epochs; epoch++) {
      const started = performance.now();
      const beta = betaForEpoch({ beta: hp.beta, warmupEpochs: hp.klWarmupEpochs, epoch });
      const trained = await trainEpoch(ctx, { epoch, beta });
      if (trained.status === 'stopped') return stopped(epoch);
      if (trained.status === 'diverged') return { status: 'diverged', message: trained.message, lastEpoch };
      // The figures decode with the tfjs model: it takes the fused step's weights.
      const fusedWeights = fused?.readWeights() ?? null;
      if (fusedWeights) vae.assignWeights(fusedWeights);
      const evaluation = await evaluate(ctx, { epoch, beta });
      if (evaluation.status === 'stopped') return stopped(epoch);
      if (!finite(evaluation.test)) {
        return {
          status: 'diverged',
          message: `The test loss became ${evaluation.test.loss} after epoch ${epoch}. Try a smaller learning rate.`,
          lastEpoch,
        };
      }
      const snapshot = await makeSnapshot(ctx, { epoch, zMu: evaluation.zMu, zLogVar: evaluation.zLogVar });
      const checkpoint: Checkpoint = {
        format: checkpointFormat,
        epoch,
        spec: checked.spec,
        weights: fusedWeights ?? (await vae.readWeights()),
        optimizer: fused
          ? fused.readOptimizer()
          : await saveOptimizer({ optimizer, names: vae.weightNames() }),
      };
      const seconds = (performance.now() - started) / 1000;
      // seconds: the whole epoch, test pass and figures included (what the user waits);
      // samplesPerSecond: training throughput alone (what compares backends).
      const metrics: EpochMetrics = {
        epoch,
        train: trained.train,
        test: evaluation.test,
        beta,
        seconds,
        samplesPerSecond: checked.train.count / Math.max(trained.seconds, 1e-9),
      };
      lastEpoch = epoch;
      await args.callbacks?.onEpoch?.({ metrics, snapshot, checkpoint });
    }
    return { status: 'completed', message: `Trained ${hp.epochs} epochs.`, lastEpoch };
  }
}
