import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { BatchProgress } from '../../../shared/run';
import type { BatchLoss } from '../../../src-main/training/protocol';
import { initBackend } from '../../../src-main/training/backend';
import { TrainingError } from '../../../src-main/training/errors';
import { type EpochResult, manifoldPoints, train } from '../../../src-main/training/loop';
import { KernelThreads } from '../../../src-main/training/kernels/threads';
import { expectClose } from '../ops/helpers';
import { hyperparams, syntheticDataset } from './helpers';

beforeAll(async () => {
  await initBackend({ choice: 'wasm', arch: 'mlp' });
});

const dataset = syntheticDataset({ train: 256, test: 64 });
const small = hyperparams({ epochs: 2, batchSize: 64, hidden: [64], seed: 3 });

async function run(args: Partial<Parameters<typeof train>[0]> = {}) {
  const epochs: EpochResult[] = [];
  const progress: BatchProgress[] = [];
  const batches: BatchLoss[] = [];
  const tensorsAfterEpoch: number[] = [];
  const result = await train({
    runId: 'r1',
    dataset,
    hyperparams: small,
    ...args,
    callbacks: {
      onProgress: (p) => progress.push(p),
      onBatches: (b) => batches.push(...b),
      onEpoch: (e) => {
        epochs.push(e);
        tensorsAfterEpoch.push(tf.memory().numTensors);
      },
    },
  });
  return { result, epochs, progress, batches, tensorsAfterEpoch };
}

describe('train', () => {
  test('trains epoch by epoch and reports metrics, a snapshot and a checkpoint each epoch, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const { result, epochs, progress, batches, tensorsAfterEpoch } = await run({ progressIntervalMs: 0 });
    expect(result.status).toBe('completed');
    expect(result.lastEpoch).toBe(2);
    expect(epochs.map((e) => e.metrics.epoch)).toEqual([1, 2]);
    // Steady state: the second epoch ends with exactly the tensors the first ended with.
    expect(tensorsAfterEpoch[1]).toBe(tensorsAfterEpoch[0]);
    expect(tf.memory().numTensors).toBe(before);

    const [first, second] = epochs as [EpochResult, EpochResult];
    for (const terms of [first.metrics.train, first.metrics.test, second.metrics.test]) {
      expect(Number.isFinite(terms.loss)).toBe(true);
      expect(terms.loss).toBeCloseTo(terms.recon + terms.kl, 3);
    }
    expect(second.metrics.train.loss).toBeLessThan(first.metrics.train.loss);
    expect(first.metrics.beta).toBe(1);
    expect(first.metrics.samplesPerSecond).toBeGreaterThan(0);

    // Every step reported with interval 0; steps are 1-based and end at stepsPerEpoch.
    expect(progress.map((p) => `${p.epoch}:${p.step}/${p.stepsPerEpoch}`)).toEqual([
      '1:1/4',
      '1:2/4',
      '1:3/4',
      '1:4/4',
      '2:1/4',
      '2:2/4',
      '2:3/4',
      '2:4/4',
    ]);
    expect(progress.every((p) => p.runId === 'r1')).toBe(true);
    // Every step's losses, numbered over the whole run; their mean is the epoch's train loss.
    expect(batches.map((b) => `${b.epoch}:${b.step}`)).toEqual([
      '1:1',
      '1:2',
      '1:3',
      '1:4',
      '2:5',
      '2:6',
      '2:7',
      '2:8',
    ]);
    const epoch1 = batches.filter((b) => b.epoch === 1);
    expect(epoch1.reduce((sum, b) => sum + b.loss, 0) / 4).toBeCloseTo(
      epochs[0]?.metrics.train.loss ?? NaN,
      3,
    );

    const snap = first.snapshot;
    expect(snap.epoch).toBe(1);
    expect(snap.imageShape).toEqual({ height: 28, width: 28, channels: 1 });
    expect(snap.galleryIndices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(snap.gallery.original)).toEqual(Array.from(dataset.test.images.subarray(0, 10 * 784)));
    expect(snap.gallery.mean.length).toBe(10 * 784);
    expect(snap.gallery.sampled.length).toBe(10 * 784);
    expect(snap.latent.count).toBe(64);
    expect(snap.latent.zMu.length).toBe(64 * 2);
    expect(Array.from(snap.latent.labels)).toEqual(Array.from(dataset.test.labels));
    expect(snap.manifold).toMatchObject({ n: 20, range: 2, dims: [0, 1] });
    expect(snap.manifold.images.length).toBe(400 * 784);
    expect(snap.prior.images.length).toBe(snap.prior.count * 784);
    expect(snap.klPerDim).toHaveLength(2);
    expect(snap.klPerDim.reduce((a, b) => a + b, 0)).toBeCloseTo(first.metrics.test.kl, 3);

    // Every array owns its whole buffer (so the worker can transfer it) and none is the dataset's.
    const arrays = [
      snap.gallery.original,
      snap.gallery.mean,
      snap.latent.zMu,
      snap.latent.labels,
      snap.manifold.images,
    ];
    for (const array of arrays) {
      expect(array.byteLength).toBe(array.buffer.byteLength);
      expect(array.buffer).not.toBe(dataset.test.images.buffer);
      expect(array.buffer).not.toBe(dataset.test.labels.buffer);
    }

    const ckpt = first.checkpoint;
    expect(ckpt.epoch).toBe(1);
    expect(ckpt.weights.map((w) => w.name)).toContain('enc/dense0/kernel');
    expect(ckpt.optimizer[0]).toMatchObject({ name: 'iterations', shape: [] });
    expect(ckpt.optimizer[0]?.data[0]).toBe(4);
    expect(ckpt.optimizer.map((w) => w.name)).toContain('enc/dense0/kernel/m');
    expect(ckpt.optimizer.map((w) => w.name)).toContain('dec/output/bias/v');
  });

  test('a fixed seed reproduces a run exactly on the same backend', async () => {
    const a = await run({ hyperparams: { ...small, epochs: 1 } });
    const b = await run({ hyperparams: { ...small, epochs: 1 } });
    expect(b.epochs[0]?.metrics.train).toEqual(a.epochs[0]?.metrics.train);
    expect(b.epochs[0]?.metrics.test).toEqual(a.epochs[0]?.metrics.test);
    const wa = a.epochs[0]?.checkpoint.weights[0]?.data;
    const wb = b.epochs[0]?.checkpoint.weights[0]?.data;
    expect(wa && wb && wa.every((v, i) => v === wb[i])).toBe(true);
    const c = await run({ hyperparams: { ...small, epochs: 1, seed: 4 } });
    expect(c.epochs[0]?.metrics.train.loss).not.toBe(a.epochs[0]?.metrics.train.loss);
  });

  test('resuming from a checkpoint continues the same curve, bit for bit', async () => {
    // 32 steps an epoch: pow(β, 33) differs from Adam's running product for both βs (at 16 steps it happens not to).
    const many = { ...small, batchSize: 8 };
    const straight = await run({ hyperparams: many });
    const firstHalf = await run({ hyperparams: { ...many, epochs: 1 } });
    const checkpoint = firstHalf.epochs[0]?.checkpoint;
    const resumed = await run({ checkpoint, hyperparams: many });
    expect(resumed.epochs.map((e) => e.metrics.epoch)).toEqual([2]);
    const a = straight.epochs[1]?.metrics;
    const b = resumed.epochs[0]?.metrics;
    if (!a || !b) throw new Error('missing epoch 2');
    // Bit for bit: the checkpoint carries Adam's β powers, not just its step count.
    expect(b.train).toEqual(a.train);
    expect(b.test).toEqual(a.test);
    expect(resumed.batches).toEqual(straight.batches.filter((batch) => batch.epoch === 2));
    const straightEnd = straight.epochs[1]?.checkpoint;
    const resumedEnd = resumed.epochs[0]?.checkpoint;
    expect(resumedEnd?.weights).toEqual(straightEnd?.weights);
    expect(resumedEnd?.optimizer).toEqual(straightEnd?.optimizer);
    expect(resumedEnd?.optimizer[0]?.data[0]).toBe(64);
  });

  test('a format-1 checkpoint (no β powers) still resumes, approximately', async () => {
    const straight = await run();
    const firstHalf = await run({ hyperparams: { ...small, epochs: 1 } });
    const saved = firstHalf.epochs[0]?.checkpoint;
    if (!saved) throw new Error('missing epoch 1');
    const old = {
      ...saved,
      format: 1 as const,
      optimizer: saved.optimizer.filter((entry) => !entry.name.startsWith('accBeta')),
    };
    const resumed = await run({ checkpoint: old });
    const a = straight.epochs[1]?.metrics;
    const b = resumed.epochs[0]?.metrics;
    if (!a || !b) throw new Error('missing epoch 2');
    expect(Math.abs(b.test.loss - a.test.loss) / a.test.loss).toBeLessThan(1e-4);
  });

  test('a checkpoint of another model is refused with a clear error', async () => {
    const firstHalf = await run({ hyperparams: { ...small, epochs: 1 } });
    const checkpoint = firstHalf.epochs[0]?.checkpoint;
    await expect(run({ checkpoint, hyperparams: { ...small, hidden: [32] } })).rejects.toThrow(
      /different model/,
    );
  });

  test('a non-finite loss stops the run as diverged and emits no checkpoint for that epoch', async () => {
    const before = tf.memory().numTensors;
    const { result, epochs } = await run({ hyperparams: { ...small, epochs: 3, learningRate: 1e12 } });
    expect(result.status).toBe('diverged');
    expect(result.message).toMatch(/loss became (NaN|Infinity|-Infinity)/);
    expect(result.lastEpoch).toBe(epochs.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a stop request takes effect before the next batch', async () => {
    let stopAfter = Infinity;
    const before = tf.memory().numTensors;
    const progress: BatchProgress[] = [];
    const result = await train({
      runId: 'r1',
      dataset,
      hyperparams: { ...small, batchSize: 16 },
      progressIntervalMs: 0,
      shouldStop: () => progress.length >= stopAfter,
      callbacks: {
        onProgress: (p) => {
          progress.push(p);
          if (p.step === 3) stopAfter = 3;
        },
      },
    });
    expect(result.status).toBe('stopped');
    expect(result.lastEpoch).toBe(0);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a stop hands over the losses of the steps not yet reported', async () => {
    let polls = 0;
    const batches: BatchLoss[] = [];
    const result = await train({
      runId: 'r1',
      dataset,
      hyperparams: { ...small, batchSize: 16 },
      progressIntervalMs: 1e9,
      // Polled once before each batch: the fourth poll comes after three steps.
      shouldStop: () => ++polls > 3,
      callbacks: { onBatches: (b) => batches.push(...b) },
    });
    expect(result.status).toBe('stopped');
    expect(batches.map((b) => b.step)).toEqual([1, 2, 3]);
  });

  test('progress is throttled but always reports the last step of an epoch', async () => {
    const { progress, batches } = await run({
      hyperparams: { ...small, batchSize: 16 },
      progressIntervalMs: 1e9,
    });
    expect(progress.map((p) => `${p.epoch}:${p.step}`)).toEqual(['1:1', '1:16', '2:1', '2:16']);
    // Throttled progress, but no step's loss is lost.
    expect(batches.map((b) => b.step)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  test('KL warm-up: β grows by β/warmupEpochs per epoch', async () => {
    const { epochs } = await run({
      hyperparams: { ...small, beta: 2, klWarmupEpochs: 4, trainLimit: 64, testLimit: 16 },
    });
    expect(epochs.map((e) => e.metrics.beta)).toEqual([0.5, 1]);
    const test = epochs[0]?.metrics.test;
    if (!test) throw new Error('no epoch 1');
    expect(test.loss).toBeCloseTo(test.recon + 0.5 * test.kl, 3);
    expect(epochs[0]?.snapshot.latent.count).toBe(16);
  });
});

describe('manifoldPoints', () => {
  test('row 0 is the top (largest z[1]); columns sweep z[0] left to right; other dims are 0', () => {
    const { points, dims } = manifoldPoints({ n: 3, range: 2, latentDim: 3 });
    expect(dims).toEqual([0, 1]);
    const at = (i: number, j: number) => Array.from(points.subarray((i * 3 + j) * 3, (i * 3 + j + 1) * 3));
    expect(at(0, 0)).toEqual([-2, 2, 0]);
    expect(at(0, 2)).toEqual([2, 2, 0]);
    expect(at(2, 0)).toEqual([-2, -2, 0]);
    expect(at(1, 1)).toEqual([0, 0, 0]);
  });
});

describe('conv', () => {
  const convHp = hyperparams({
    arch: 'conv',
    hidden: [16],
    batchSize: 8,
    epochs: 1,
    trainLimit: 16,
    testLimit: 8,
  });
  const smallFigures = { galleryCount: 2, manifoldSize: 3, priorCount: 2 };

  test('a backend without Conv2DBackpropFilter refuses conv with a clear error', async () => {
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    if (kernel) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    try {
      const error = await train({ runId: 'c', dataset, hyperparams: convHp }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrainingError);
      expect((error as TrainingError).code).toBe('unavailable');
      expect((error as TrainingError).message).toMatch(
        /wasm backend cannot train the conv architecture.*Conv2DBackpropFilter/,
      );
    } finally {
      if (kernel) tf.registerKernel(kernel);
    }
  });

  test("trains one small epoch on wasm with the engine's conv kernels, without leaking tensors", async () => {
    const before = tf.memory().numTensors;
    const epochs: EpochResult[] = [];
    const result = await train({
      runId: 'c',
      dataset,
      hyperparams: convHp,
      figures: smallFigures,
      callbacks: { onEpoch: (e) => void epochs.push(e) },
    });
    expect(result.status).toBe('completed');
    expect(Number.isFinite(epochs[0]?.metrics.test.loss)).toBe(true);
    expect(epochs[0]?.snapshot.manifold.images.length).toBe(9 * 784);
    expect(epochs[0]?.checkpoint.weights.map((w) => w.name)).toContain('dec/deconv1/kernel');
    expect(tf.memory().numTensors).toBe(before);
  });

  test('on 2 kernel threads: the losses of 1 thread; a thread that dies fails the run cleanly, and it resumes', async () => {
    const twoEpochs = { ...convHp, epochs: 2 };
    const losses = async (threads: number) => {
      const seen: number[] = [];
      const result = await train({
        runId: 'c',
        dataset,
        hyperparams: twoEpochs,
        figures: smallFigures,
        threads,
        callbacks: { onBatches: (b) => seen.push(...b.map((l) => l.loss)) },
      });
      expect(result.status).toBe('completed');
      return seen;
    };
    const one = await losses(1);
    expectClose(await losses(2), one, 'losses', 1e-5);

    const before = tf.memory().numTensors;
    let pool: KernelThreads | null = null;
    const epochs: EpochResult[] = [];
    const error = await train({
      runId: 'c',
      dataset,
      hyperparams: twoEpochs,
      figures: smallFigures,
      threads: 2,
      startKernelThreads: async (count, memory) => (pool = await KernelThreads.start(count, memory)),
      callbacks: {
        onEpoch: (e) => {
          epochs.push(e);
          // Thread 1 exits now; epoch 2's first convolution finds it gone.
          expect(() => pool!.stopThreadForTest(1)).toThrow(/Kernel thread 1 of 2 failed/);
        },
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as TrainingError).code).toBe('unavailable');
    expect((error as Error).message).toMatch(/Kernel thread 1 of 2 failed.*resumed from its last checkpoint/);
    // The one tensor left is tfjs' own: its tape keeps what an op saved for the
    // backward pass (here the encoder's reshaped input) when a later op of the
    // forward pass throws. Everything the run made is disposed.
    expect(tf.memory().numTensors).toBe(before + 1);

    expect(epochs.length).toBe(1);
    const resumed = await train({
      runId: 'c',
      dataset,
      hyperparams: twoEpochs,
      figures: smallFigures,
      threads: 2,
      checkpoint: epochs[0]!.checkpoint,
    });
    expect(resumed).toMatchObject({ status: 'completed', lastEpoch: 2 });
    expect(tf.memory().numTensors).toBe(before + 1);
  }, 180_000);
});

describe('cpu backend', () => {
  test('trains the mlp there too', async () => {
    await initBackend({ choice: 'cpu', arch: 'mlp' });
    try {
      const { result, epochs } = await run({
        hyperparams: { ...small, epochs: 1, trainLimit: 128, testLimit: 32 },
      });
      expect(result.status).toBe('completed');
      expect(Number.isFinite(epochs[0]?.metrics.test.loss)).toBe(true);
    } finally {
      await initBackend({ choice: 'wasm', arch: 'mlp' });
    }
  });
});
