import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type LoadedDataset, loadMnist } from '../../../src-main/datasets';
import { initBackend, loseWebgpuDevice, missingKernels } from '../../../src-main/training/backend';
import { TrainingError } from '../../../src-main/training/errors';
import { type EpochResult, train } from '../../../src-main/training/loop';
import { hyperparams, syntheticDataset } from './helpers';

/**
 * The webgpu backend on SwiftShader, Chromium's software Vulkan driver: no GPU
 * here or in CI, but Dawn runs the same shaders on it. Slow, so the sets are
 * small. Set before Dawn loads (lazily, in initBackend): the Vulkan loader
 * reads it when Dawn creates its instance.
 */
const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';
const haveSwiftShader = fs.existsSync(swiftShaderIcd);
// SwiftShader on a shared 2-core machine: a 64×784·784×256 matMul takes ~0.4 s.
const slow = 600_000;
process.env['VK_ICD_FILENAMES'] ??= swiftShaderIcd;

async function trainOneEpoch(args: Parameters<typeof hyperparams>[0] & { data?: LoadedDataset }) {
  const { data: dataset, ...overrides } = args;
  const epochs: EpochResult[] = [];
  const result = await train({
    runId: 'gpu',
    dataset: dataset ?? (await loadMnist()),
    hyperparams: hyperparams({ epochs: 1, ...overrides }),
    figures: { galleryCount: 4, manifoldSize: 4, manifoldRange: 2, priorCount: 4 },
    callbacks: { onEpoch: (e) => void epochs.push(e) },
  });
  return { result, epoch: epochs[0] };
}

// CI installs Chromium's SwiftShader (see the workflow); a machine without it skips these.
describe.skipIf(!haveSwiftShader)('webgpu backend on SwiftShader', () => {
  test('auto never picks the software adapter, and says why it passed it over', async () => {
    const active = await initBackend({ choice: 'auto', arch: 'mlp' });
    expect(active.name).not.toBe('webgpu');
    expect(active.notes.join(' ')).toMatch(/webgpu: Dawn found only software adapters \(SwiftShader/);
  });

  test('chosen, it runs on SwiftShader with a note that it is a software adapter', async () => {
    const active = await initBackend({ choice: 'webgpu', arch: 'conv' });
    expect(active.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(active.device).toMatch(/^SwiftShader.*\(software adapter\)$/);
    expect(active.notes.join(' ')).toMatch(/software adapter .*for testing only/);
    expect(missingKernels({ arch: 'conv', backend: 'webgpu' })).toEqual([]);
  });

  test(
    'the reference preset reaches the wasm backend’s test loss within 1% after one epoch, without leaking',
    async () => {
      const limits = { trainLimit: 640, testLimit: 200, seed: 7 };
      await initBackend({ choice: 'wasm', arch: 'mlp' });
      const wasm = await trainOneEpoch(limits);
      await initBackend({ choice: 'webgpu', arch: 'mlp' });
      const before = tf.memory().numTensors;
      const gpu = await trainOneEpoch(limits);
      expect(tf.memory().numTensors).toBe(before);
      expect(gpu.result.status).toBe('completed');
      const [a, b] = [wasm.epoch?.metrics.test.loss ?? NaN, gpu.epoch?.metrics.test.loss ?? NaN];
      expect(Number.isFinite(b)).toBe(true);
      expect(Math.abs(b - a) / a).toBeLessThan(0.01);
      // Trained, not just equal: the untrained model's loss is ~543 nats (784·ln 2).
      expect(b).toBeLessThan(450);
      // The checkpoint was read back asynchronously and is complete.
      expect(gpu.epoch?.checkpoint.weights.every((w) => w.data.every(Number.isFinite))).toBe(true);
    },
    slow,
  );

  test(
    'the same seed on the same adapter gives the same run, bit for bit',
    async () => {
      await initBackend({ choice: 'webgpu', arch: 'mlp' });
      const args = { batchSize: 32, seed: 11, data: syntheticDataset({ train: 64, test: 16 }) };
      const [a, b] = [await trainOneEpoch(args), await trainOneEpoch(args)];
      expect(b.epoch?.metrics.test).toEqual(a.epoch?.metrics.test);
      expect(b.epoch?.checkpoint.weights).toEqual(a.epoch?.checkpoint.weights);
      // And the check can fail: another seed gives other weights.
      const c = await trainOneEpoch({ ...args, seed: 12 });
      expect(c.epoch?.checkpoint.weights).not.toEqual(a.epoch?.checkpoint.weights);
    },
    slow,
  );

  test(
    'the conv preset trains',
    async () => {
      await initBackend({ choice: 'webgpu', arch: 'conv' });
      const before = tf.memory().numTensors;
      // The keras-conv preset, on fewer images and smaller batches.
      const { result, epoch } = await trainOneEpoch({
        arch: 'conv',
        hidden: [16],
        batchSize: 8,
        // Tiny: compiling SwiftShader's convolution shaders alone takes about a minute here.
        data: syntheticDataset({ train: 16, test: 8, side: 12 }),
      });
      expect(result.status).toBe('completed');
      expect(tf.memory().numTensors).toBe(before);
      const metrics = epoch?.metrics;
      expect(Number.isFinite(metrics?.test.loss)).toBe(true);
      expect(Number.isFinite(metrics?.train.loss)).toBe(true);
    },
    slow,
  );

  test(
    'a device lost mid-run fails the run with what happened and what to try; a new device trains again',
    async () => {
      await initBackend({ choice: 'webgpu', arch: 'mlp' });
      let lost = false;
      const error = await train({
        runId: 'lost',
        dataset: syntheticDataset({ train: 512, test: 32 }),
        hyperparams: hyperparams({ epochs: 1, batchSize: 32 }),
        progressIntervalMs: 0,
        callbacks: {
          onBatches: () => {
            if (!lost) loseWebgpuDevice();
            lost = true;
          },
        },
      }).catch((e: unknown) => e);
      expect(lost).toBe(true);
      expect(error).toBeInstanceOf(TrainingError);
      expect((error as TrainingError).code).toBe('unavailable');
      expect((error as TrainingError).message).toMatch(
        /^The GPU device \(SwiftShader.*\) was destroyed, so the run stopped\. .*checkpoint is kept: resume the run.*another backend \(wasm\)/,
      );

      const active = await initBackend({ choice: 'webgpu', arch: 'mlp' });
      expect(active.name).toBe('webgpu');
      const again = await trainOneEpoch({
        batchSize: 32,
        data: syntheticDataset({ train: 64, test: 32 }),
      });
      expect(again.result.status).toBe('completed');
    },
    slow,
  );
});
