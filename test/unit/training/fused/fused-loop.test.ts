import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { initBackend } from '../../../../src-main/training/backend';
import { FusedMlp } from '../../../../src-main/training/fused/fused-mlp';
import { type EpochResult, train } from '../../../../src-main/training/loop';
import { hyperparams, syntheticDataset } from '../helpers';

// The training loop on wasm trains MLPs with the fused step: the same curve as
// the tfjs graph (VAE_STUDIO_FUSED=0) to float tolerance, the same bits for any
// thread count, and no tfjs tensors left behind.

beforeAll(async () => {
  await initBackend({ choice: 'wasm', arch: 'mlp' });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env['VAE_STUDIO_FUSED'];
});

const dataset = syntheticDataset({ train: 300, test: 70 });
const hp = hyperparams({ epochs: 2, batchSize: 32, hidden: [48, 21], latentDim: 3, seed: 4 });
const figures = { galleryCount: 3, manifoldSize: 3, priorCount: 2 };

async function run(threads?: number): Promise<EpochResult[]> {
  const epochs: EpochResult[] = [];
  const result = await train({
    runId: 'r',
    dataset,
    hyperparams: hp,
    figures,
    evalBatchSize: 64,
    ...(threads === undefined ? {} : { threads }),
    callbacks: { onEpoch: (e) => void epochs.push(e) },
  });
  expect(result.status).toBe('completed');
  return epochs;
}

describe('training an MLP on wasm', () => {
  test('runs the fused step, on the tfjs graph’s curve, without leaking tensors', async () => {
    const steps = vi.spyOn(FusedMlp.prototype, 'step');
    const before = tf.memory().numTensors;
    const fused = await run();
    expect(tf.memory().numTensors).toBe(before);
    // 10 steps an epoch (300 images, batch 32; the last batch has 12).
    expect(steps).toHaveBeenCalledTimes(20);

    process.env['VAE_STUDIO_FUSED'] = '0';
    const graph = await run();
    expect(steps).toHaveBeenCalledTimes(20);
    for (const [i, e] of fused.entries()) {
      const g = graph[i]!;
      for (const key of ['loss', 'recon', 'kl'] as const) {
        expect(Math.abs(e.metrics.train[key] - g.metrics.train[key])).toBeLessThan(
          1e-3 * g.metrics.train.loss,
        );
        expect(Math.abs(e.metrics.test[key] - g.metrics.test[key])).toBeLessThan(1e-3 * g.metrics.test.loss);
      }
      expect(e.checkpoint.weights.map((w) => [w.name, w.shape])).toEqual(
        g.checkpoint.weights.map((w) => [w.name, w.shape]),
      );
      expect(
        e.checkpoint.optimizer.map((w) => [w.name, w.shape, w.name === 'iterations' ? w.data[0] : 0]),
      ).toEqual(
        g.checkpoint.optimizer.map((w) => [w.name, w.shape, w.name === 'iterations' ? w.data[0] : 0]),
      );
      expect(e.snapshot.latent.zMu.length).toBe(g.snapshot.latent.zMu.length);
    }
  });

  test('a thread that dies fails the run with a message saying it can resume, after the last checkpoint', async () => {
    // The real step, taken before the spy replaces it, called on each instance.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = FusedMlp.prototype.step;
    let calls = 0;
    vi.spyOn(FusedMlp.prototype, 'step').mockImplementation(function (this: FusedMlp, args) {
      // In epoch 2 (10 steps an epoch), thread 1 exits as a crashed thread would.
      if (++calls === 15) {
        expect(() =>
          (this as unknown as { pool: { stopThreadForTest(index: number): void } }).pool.stopThreadForTest(1),
        ).toThrow(/thread 1 of 2/);
      }
      return original.call(this, args);
    });
    const epochs: EpochResult[] = [];
    await expect(
      train({
        runId: 'r',
        dataset,
        hyperparams: hp,
        figures,
        threads: 2,
        callbacks: { onEpoch: (e) => void epochs.push(e) },
      }),
    ).rejects.toThrow(/Kernel thread 1 of 2 failed.*resumed from its last checkpoint/);
    expect(epochs.map((e) => e.checkpoint.epoch)).toEqual([1]);
  });

  test('two threads train the one-thread run bit for bit', async () => {
    const one = await run(1);
    const two = await run(2);
    expect(two.map((e) => [e.metrics.train, e.metrics.test])).toEqual(
      one.map((e) => [e.metrics.train, e.metrics.test]),
    );
    expect(two.map((e) => e.checkpoint.weights)).toEqual(one.map((e) => e.checkpoint.weights));
    expect(two.map((e) => e.snapshot.latent.zMu)).toEqual(one.map((e) => e.snapshot.latent.zMu));
  });
});
