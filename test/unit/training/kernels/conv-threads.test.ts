import * as tf from '@tensorflow/tfjs-core';
import * as os from 'node:os';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ConvThreads,
  kernelThreadCount,
  setConvThreads,
} from '../../../../src-main/training/kernels/conv-threads';
import { presetById } from '../../../../shared/hyperparams';
import { TrainingError } from '../../../../src-main/training/errors';
import { uninstallKernels } from '../../../../src-main/training/kernels';
import { maxColsFloats } from '../../../../src-main/training/kernels/conv';
import { reluGradConfig } from '../../../../src-main/training/kernels/dense';
import { KernelThreads } from '../../../../src-main/training/kernels/threads';
import { createVae } from '../../../../src-main/training/model';
import { modelSpecFor } from '../../../../src-main/training/model-spec';
import { createAdam } from '../../../../src-main/training/ops';
import { trainStep } from '../../../../src-main/training/step';
import { expectClose, randomArray, use } from '../../ops/helpers';
import { sequentialPool } from './threads-test-pool';

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  filter: Shape4;
  stride: number;
  pad: 'same' | 'valid';
}

// The conv preset's layers (batch 2) and odd geometries: channels not multiples
// of 4, valid padding, a 1×1 filter.
const cases: Case[] = [
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 32], stride: 2, pad: 'same' },
  { x: [2, 14, 14, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { x: [2, 14, 14, 64], filter: [3, 3, 64, 64], stride: 2, pad: 'same' },
  { x: [2, 28, 28, 32], filter: [3, 3, 32, 32], stride: 2, pad: 'same' },
  { x: [2, 28, 28, 32], filter: [3, 3, 32, 1], stride: 1, pad: 'same' },
  { x: [3, 9, 7, 5], filter: [3, 2, 5, 6], stride: 1, pad: 'valid' },
  { x: [2, 8, 9, 3], filter: [3, 3, 3, 9], stride: 2, pad: 'valid' },
  { x: [1, 5, 5, 2], filter: [1, 1, 2, 3], stride: 1, pad: 'same' },
];

interface Out {
  y: Float32Array;
  dw: Float32Array;
  dx: Float32Array;
  bias: Float32Array;
}

/** Conv2D, its two gradients' kernels and a conv layer's bias gradient (Sum over batch, h, w). */
function run(c: Case, seed: number): Out {
  return tf.tidy(() => {
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(randomArray(size(c.x), seed), c.x);
    const f = tf.tensor4d(randomArray(size(c.filter), seed + 1), c.filter);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const dy = tf.tensor4d(randomArray(size(y.shape), seed + 2), y.shape);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
    const dw = tf
      .engine()
      .runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter });
    const dx = tf
      .engine()
      .runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: c.x });
    const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return { y: data(y), dw: data(dw), dx: data(dx), bias: data(tf.sum(dy, [0, 1, 2])) };
  });
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

describe('conv kernels on kernel threads', () => {
  beforeAll(async () => {
    await use('wasm');
  });
  let threads: ConvThreads | null = null;
  afterEach(async () => {
    setConvThreads(null);
    await threads?.close();
    threads = null;
  });

  async function withThreads(count: number): Promise<void> {
    await threads?.close();
    threads = await ConvThreads.start({ threads: count, fma: false, startPool: sequentialPool });
    setConvThreads(threads);
  }

  for (const c of cases) {
    test(`x [${c.x.join('×')}] filter [${c.filter.join('×')}] stride ${c.stride} ${c.pad}: as the cpu kernels; 2 and 3 threads give 1 thread's bits`, async () => {
      const seed = c.x.reduce((a, b) => a * 3 + b, 0) + c.filter.reduce((a, b) => a * 5 + b, 0);
      await use('cpu');
      const expected = run(c, seed);
      await use('wasm');
      await withThreads(1);
      const one = run(c, seed);
      for (const key of Object.keys(expected) as Array<keyof Out>) expectClose(one[key], expected[key], key);
      for (const count of [2, 3]) {
        await withThreads(count);
        const many = run(c, seed);
        for (const key of Object.keys(one) as Array<keyof Out>)
          expect(same(many[key], one[key]), `${key}, ${count} threads`).toBe(true);
      }
    });
  }

  test('a batch whose column matrix takes two chunks: as the single-threaded kernels', async () => {
    // 28×28 outputs × 3×3 taps × 8 channels = 56,448 floats per image: 74 images a chunk.
    const c: Case = { x: [75, 28, 28, 8], filter: [3, 3, 8, 4], stride: 1, pad: 'same' };
    expect(Math.floor(maxColsFloats / (28 * 28 * 9 * 8))).toBe(74);
    setConvThreads(null);
    const expected = run(c, 21);
    await withThreads(2);
    const actual = run(c, 21);
    for (const key of Object.keys(expected) as Array<keyof Out>) expectClose(actual[key], expected[key], key);
  });

  test('leaks no tensors', async () => {
    await withThreads(2);
    const c = cases[1]!;
    run(c, 1);
    const before = tf.memory().numTensors;
    run(c, 2);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a closed pool refuses work with a message instead of computing garbage', async () => {
    await withThreads(2);
    await threads!.close();
    expect(() => run(cases[1]!, 1)).toThrow(/kernel threads of this run are closed/);
  });

  test('on real worker threads: the same bits as one after the other; a thread that dies fails the next kernel with a message', async () => {
    const c = cases[3]!;
    await withThreads(2);
    const sequential = run(c, 5);
    await threads?.close();
    let pool: KernelThreads | null = null;
    threads = await ConvThreads.start({
      threads: 2,
      fma: false,
      startPool: async (count, memory) => (pool = await KernelThreads.start(count, memory)),
    });
    setConvThreads(threads);
    const real = run(c, 5);
    for (const key of Object.keys(real) as Array<keyof Out>)
      expect(same(real[key], sequential[key]), key).toBe(true);
    expect(() => pool!.stopThreadForTest(1)).toThrow(/Kernel thread 1 of 2 failed/);
    const before = tf.memory().numTensors;
    let caught: unknown = null;
    try {
      run(c, 6);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TrainingError);
    expect((caught as TrainingError).code).toBe('unavailable');
    expect((caught as Error).message).toMatch(
      /Kernel thread 1 of 2 failed.*resumed from its last checkpoint/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  test('input copies: a tensor still in the ring is not copied again, and what the ring returns is always its data', async () => {
    // A ring of 4 KiB and inputs of 64..1024 bytes: it wraps, evicts, and meets
    // calls whose hits a miss would overwrite.
    const ct = await ConvThreads.start({ threads: 1, fma: false, minRingBytes: 4096 });
    try {
      const heap = randomArray(4096, 3);
      const keys = Array.from({ length: 40 }, () => ({}));
      const floatsOf = (k: number) => 16 * (1 + (k % 16));
      const fromOf = (k: number) => 61 * k;
      let copies = 0;
      const copyIn = ct.copyIn.bind(ct);
      ct.copyIn = (...args) => {
        copies += 1;
        copyIn(...args);
      };
      let calls = 0;
      for (let step = 0; step < 200; step++) {
        // Recent keys again (hits), and new ones (misses that evict).
        const picks = [step % 40, (step * 7) % 40, Math.max(0, step - 2) % 40].filter(
          (k, i, a) => a.indexOf(k) === i,
        );
        const list = picks.map((k) => ({ key: keys[k]!, from: fromOf(k), floats: floatsOf(k) }));
        const at = ct.inputs(heap, list);
        calls += list.length;
        for (const [i, k] of picks.entries()) {
          const got = new Float32Array(ct.memory.buffer, at[i], floatsOf(k));
          expect(Array.from(got)).toEqual(Array.from(heap.subarray(fromOf(k), fromOf(k) + floatsOf(k))));
        }
      }
      expect(copies).toBeGreaterThan(0);
      expect(copies).toBeLessThan(calls);
    } finally {
      await ct.close();
    }
  });

  test('the threads setting: empty is every core, and never more than the cores', () => {
    const cores = os.availableParallelism();
    expect(kernelThreadCount(null)).toBe(cores);
    expect(kernelThreadCount(1)).toBe(1);
    expect(kernelThreadCount(cores + 5)).toBe(cores);
  });

  test('a thread count that is not a whole number ≥ 1 is refused', async () => {
    await expect(ConvThreads.start({ threads: 0, fma: false })).rejects.toThrow(/whole number/);
  });
});

describe('the conv preset on kernel threads', () => {
  /** Losses of `steps` training steps of the keras-conv preset's model (batch 16), our kernels on `threads`. */
  async function losses(threads: number | null, steps: number): Promise<number[]> {
    await use('wasm');
    const ct =
      threads === null ? null : await ConvThreads.start({ threads, fma: false, startPool: sequentialPool });
    setConvThreads(ct);
    const hp = presetById('keras-conv').hyperparams;
    const vae = createVae({ spec: modelSpecFor(hp, { height: 28, width: 28, channels: 1 }), seed: 7 });
    const optimizer = createAdam(hp.learningRate);
    const out: number[] = [];
    try {
      const batch = 16;
      for (let i = 0; i < steps; i++) {
        const x = tf.tensor2d(
          randomArray(batch * 784, 100 + i).map((v) => Math.max(0, v)),
          [batch, 784],
        );
        const epsilon = tf.tensor2d(randomArray(batch * hp.latentDim, 200 + i), [batch, hp.latentDim]);
        out.push(
          trainStep({ vae, optimizer, variables: vae.trainableVariables(), x, epsilon, beta: hp.beta }).loss,
        );
        tf.dispose([x, epsilon]);
      }
    } finally {
      setConvThreads(null);
      optimizer.dispose();
      vae.dispose();
      await ct?.close();
    }
    return out;
  }

  test('trains to today’s losses (float tolerance), the same bits on 1 and 2 threads, leaking nothing', async () => {
    await use('wasm');
    const before = tf.memory().numTensors;
    const today = await losses(null, 6);
    const one = await losses(1, 6);
    const two = await losses(2, 6);
    expect(tf.memory().numTensors).toBe(before);
    expectClose(one, today, 'losses', 1e-5);
    expect(two).toEqual(one);
  }, 180_000);
});

describe('Relu gradient', () => {
  test('one VaeActGrad pass on wasm, tfjs’ values (as on cpu); uninstalling our kernels puts tfjs’ gradient back', async () => {
    await use('wasm');
    expect(tf.getGradient('Relu')).toBe(reluGradConfig);
    const x = randomArray(2 * 5 * 5 * 6, 11).map((v, i) => (i % 7 === 0 ? 0 : v));
    const r = randomArray(x.length, 12);
    const grad = () =>
      tf.tidy(
        () =>
          tf
            .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), tf.tensor4d(r, [2, 5, 5, 6]))))(
              tf.tensor4d(x, [2, 5, 5, 6]),
            )
            .dataSync() as Float32Array,
      );
    const ours = grad();
    await use('cpu');
    expectClose(ours, grad(), 'relu gradient', 0, 0);
    await use('wasm');
    uninstallKernels('wasm');
    uninstallKernels('cpu');
    try {
      const builtin = tf.getGradient('Relu');
      expect(builtin).toBeDefined();
      expect(builtin).not.toBe(reluGradConfig);
      expectClose(grad(), ours, 'tfjs relu gradient', 0, 0);
    } finally {
      await use('wasm');
    }
    expect(tf.getGradient('Relu')).toBe(reluGradConfig);
  });
});

describe('Add on wasm', () => {
  test('a bias over the last axis (either side) and other adds: as the cpu kernel', async () => {
    await use('wasm');
    expect(tf.getKernel('Add', 'wasm')?.kernelFunc.name).toBe('add');
    const x = randomArray(2 * 3 * 5 * 8, 13);
    const b = randomArray(8, 14);
    const adds = () =>
      tf.tidy(() => {
        const t = tf.tensor4d(x, [2, 3, 5, 8]);
        const bias = tf.tensor1d(b);
        return [
          tf.add(t, bias),
          tf.add(bias, t),
          tf.add(t, t),
          tf.add(tf.tensor2d(x.subarray(0, 30), [10, 3]), tf.tensor1d(b.subarray(0, 3))),
          tf.add(t, tf.scalar(2)),
        ].map((s) => ({ shape: s.shape, values: s.dataSync() as Float32Array }));
      });
    await use('cpu');
    const expected = adds();
    await use('wasm');
    const actual = adds();
    for (const [i, e] of expected.entries()) {
      expect(actual[i]!.shape).toEqual(e.shape);
      expectClose(actual[i]!.values, e.values, `add ${i}`, 0, 0);
    }
  });
});

describe('Sum on wasm', () => {
  test('over leading axes (a conv bias gradient) and over others: as the cpu kernel', async () => {
    await use('wasm');
    expect(tf.getKernel('Sum', 'wasm')?.kernelFunc.name).toBe('sum');
    const x = randomArray(2 * 3 * 5 * 8, 9);
    const sums = () =>
      tf.tidy(() => {
        const t = tf.tensor4d(x, [2, 3, 5, 8]);
        return [
          tf.sum(t, [0, 1, 2]),
          tf.sum(t, [0, 1, 2], true),
          tf.sum(t, [1, 0]),
          tf.sum(t, 1),
          tf.sum(t, [0, 1, 2, 3]),
          tf.sum(tf.tensor2d(x.subarray(0, 30), [10, 3]), 0),
        ].map((s) => ({ shape: s.shape, values: s.dataSync() as Float32Array }));
      });
    await use('cpu');
    const expected = sums();
    await use('wasm');
    const actual = sums();
    for (const [i, e] of expected.entries()) {
      expect(actual[i]!.shape).toEqual(e.shape);
      expectClose(actual[i]!.values, e.values, `sum ${i}`);
    }
  });
});
