import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { maxColsFloats } from '../../../src-main/training/kernels/conv';
import { expectClose, randomArray, use } from './helpers';

type Pad = 'same' | 'valid';
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}

// The Keras conv VAE's layers (Conv 1→32 and 32→64 stride 2 'same'; the
// transposed convs 64→64, 64→32 stride 2 and 32→1 stride 1 seen as the
// convolutions they are the transpose of), and odd geometries.
const cases: Case[] = [
  { x: [3, 28, 28, 1], filter: [3, 3, 1, 32], stride: 2, pad: 'same' },
  { x: [1, 14, 14, 32], filter: [3, 3, 32, 64], stride: 2, pad: 'same' },
  { x: [1, 14, 14, 64], filter: [3, 3, 64, 64], stride: 2, pad: 'same' },
  { x: [1, 28, 28, 32], filter: [3, 3, 32, 32], stride: 2, pad: 'same' },
  { x: [2, 28, 28, 1], filter: [3, 3, 1, 32], stride: 1, pad: 'same' },
  { x: [3, 9, 7, 5], filter: [3, 2, 5, 6], stride: 1, pad: 'valid' },
  { x: [2, 8, 9, 3], filter: [3, 3, 3, 9], stride: 2, pad: 'valid' },
  { x: [1, 5, 5, 2], filter: [1, 1, 2, 3], stride: 1, pad: 'same' },
];

interface Out {
  y: Float32Array;
  dw: Float32Array;
  dx: Float32Array;
  /** Gradients of Σ conv2d(x, f)·r and of Σ conv2dTranspose(y, f)·r', through the ops. */
  gradX: Float32Array;
  gradF: Float32Array;
  gradTY: Float32Array;
  gradTF: Float32Array;
  transposed: Float32Array;
}

function run(c: Case, seed: number): Out {
  return tf.tidy(() => {
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(randomArray(size(c.x), seed), c.x);
    const f = tf.tensor4d(randomArray(size(c.filter), seed + 1), c.filter);
    const y = tf.conv2d(x, f, c.stride, c.pad);
    const yShape = y.shape;
    const dy = tf.tensor4d(randomArray(size(yShape), seed + 2), yShape);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
    const dw = tf
      .engine()
      .runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter });
    const dx = tf
      .engine()
      .runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: c.x });
    const r = tf.tensor4d(randomArray(size(yShape), seed + 3), yShape);
    const [gradX, gradF] = tf.grads((xi: tf.Tensor, fi: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, c.stride, c.pad), r)),
    )([x, f]);
    // conv2dTranspose maps dy's shape back to x's: the decoder's layers.
    const rt = tf.tensor4d(randomArray(size(c.x), seed + 4), c.x);
    const transposed = tf.conv2dTranspose(dy, f, c.x, c.stride, c.pad);
    const [gradTY, gradTF] = tf.grads((yi: tf.Tensor, fi: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2dTranspose(yi as tf.Tensor4D, fi as tf.Tensor4D, c.x, c.stride, c.pad), rt)),
    )([dy, f]);
    const data = (t: tf.Tensor | undefined) => t!.dataSync() as Float32Array;
    return {
      y: data(y),
      dw: data(dw),
      dx: data(dx),
      gradX: data(gradX),
      gradF: data(gradF),
      gradTY: data(gradTY),
      gradTF: data(gradTF),
      transposed: data(transposed),
    };
  });
}

describe('conv kernels on wasm', () => {
  beforeAll(async () => {
    await use('wasm');
  });

  test('wasm has Conv2DBackpropFilter and our Conv2DBackpropInput and Conv2D', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2D', 'wasm')?.kernelFunc.name).toBe('conv2d');
  });

  test('a dilated convolution falls back to the built-in kernel, with the same result', async () => {
    const c = { x: [1, 9, 9, 2] as const, filter: [3, 3, 2, 4] as const };
    const conv = () =>
      tf.tidy(() =>
        tf
          .conv2d(
            tf.tensor4d(randomArray(9 * 9 * 2, 3), [...c.x]),
            tf.tensor4d(randomArray(3 * 3 * 2 * 4, 4), [...c.filter]),
            1,
            'valid',
            'NHWC',
            2,
          )
          .dataSync(),
      );
    await use('cpu');
    const expected = conv();
    await use('wasm');
    expectClose(conv(), expected, 'dilated y');
  });

  for (const c of cases) {
    test(`x [${c.x.join('×')}] filter [${c.filter.join('×')}] stride ${c.stride} ${c.pad}: same as the cpu kernels`, async () => {
      const seed = c.x.reduce((a, b) => a * 3 + b, 0) + c.filter.reduce((a, b) => a * 5 + b, 0);
      await use('cpu');
      const expected = run(c, seed);
      await use('wasm');
      const actual = run(c, seed);
      for (const key of Object.keys(expected) as Array<keyof Out>) {
        expectClose(actual[key], expected[key], `${key}`);
      }
    });
  }

  test('a batch larger than one chunk of the column matrix: same as the cpu kernels', async () => {
    // 28×28 outputs × 3×3 taps × 8 channels = 56,448 floats per image: the
    // budget holds 74 images, so 75 make a full chunk and a last one of 1.
    // One output channel: the column matrix (what is chunked) is the same, the work a quarter.
    const c: Case = { x: [75, 28, 28, 8], filter: [3, 3, 8, 1], stride: 1, pad: 'same' };
    const perImage = 28 * 28 * 3 * 3 * 8;
    expect(Math.floor(maxColsFloats / perImage)).toBe(74);
    await use('cpu');
    const expected = run(c, 77);
    await use('wasm');
    const actual = run(c, 77);
    for (const key of Object.keys(expected) as Array<keyof Out>)
      expectClose(actual[key], expected[key], `${key}`);
    // The cpu reference is plain JavaScript: give it room on a loaded 2-core machine.
  }, 180_000);

  test('leaks no tensors', async () => {
    await use('wasm');
    const c = cases[1]!;
    run(c, 1);
    const before = tf.memory().numTensors;
    run(c, 2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
