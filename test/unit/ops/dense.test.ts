import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { type Activation, dense, densePlain } from '../../../src-main/training/ops';
import { DENSE } from '../../../src-main/training/kernels/dense';
import { type BackendUnderTest, backendsUnderTest, expectClose, randomArray, use } from './helpers';

// [batch, in, out]: the reference model's layers (784-256-2-256-784 at batch 64),
// the PyTorch preset's (400, 20, batch 128), and odd sizes that exercise the
// kernels' edges (rows not a multiple of 4, columns not a multiple of 8, k = 1).
const shapes: Array<[number, number, number]> = [
  [64, 784, 256],
  [64, 256, 2],
  [64, 2, 256],
  [64, 256, 784],
  [128, 400, 20],
  [7, 13, 9],
  [1, 5, 3],
  [5, 1, 17],
];
const activations: Activation[] = ['linear', 'relu', 'sigmoid'];

interface Result {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

/** Forward value and the gradients of Σ y·r (r a fixed random weighting) on the active backend. */
function evaluate(
  op: typeof dense,
  shape: [number, number, number],
  activation: Activation,
  seed: number,
): Result {
  const [m, k, n] = shape;
  return tf.tidy(() => {
    const x = tf.tensor2d(randomArray(m * k, seed), [m, k]);
    // Glorot-like scale keeps sigmoid out of saturation; the bias shifts some ReLUs off.
    const w = tf.tensor2d(
      randomArray(k * n, seed + 1).map((v) => v * Math.sqrt(6 / (k + n))),
      [k, n],
    );
    const b = tf.tensor1d(randomArray(n, seed + 2).map((v) => v * 0.5));
    const r = tf.tensor2d(randomArray(m * n, seed + 3), [m, n]);
    const y = op(x, w, b, activation);
    const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(op(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, activation), r)),
    )([x, w, b]);
    return {
      y: y.dataSync() as Float32Array,
      dx: grads[0]!.dataSync() as Float32Array,
      dw: grads[1]!.dataSync() as Float32Array,
      db: grads[2]!.dataSync() as Float32Array,
    };
  });
}

function expectSame(actual: Result, expected: Result, what: string): void {
  expectClose(actual.y, expected.y, `${what} y`);
  expectClose(actual.dx, expected.dx, `${what} ∂x`);
  expectClose(actual.dw, expected.dw, `${what} ∂W`);
  expectClose(actual.db, expected.db, `${what} ∂b`);
}

describe.each(backendsUnderTest)('dense on %s', (backend: BackendUnderTest) => {
  beforeAll(async () => {
    await use(backend);
  });

  test('runs as the fused kernel', () => {
    expect(tf.getBackend()).toBe(backend);
    expect(tf.getKernel(DENSE, backend)).toBeDefined();
  });

  for (const shape of shapes) {
    for (const activation of activations) {
      test(`[${shape.join('×')}] ${activation}: same output and gradients as the plain ops`, async () => {
        await use(backend);
        const seed = shape[0] * 7 + shape[1] * 13 + shape[2];
        const fast = evaluate(dense, shape, activation, seed);
        const plain = evaluate(densePlain, shape, activation, seed);
        expectSame(fast, plain, `${backend} fast vs plain`);
        // And the same as the plain ops on the cpu backend, the reference of all backends.
        await use('cpu');
        const reference = evaluate(densePlain, shape, activation, seed);
        expectSame(fast, reference, `${backend} fast vs cpu plain`);
      });
    }
  }

  test('leaks no tensors, forward or backward', async () => {
    await use(backend);
    const x = tf.tensor2d(randomArray(6 * 5, 1), [6, 5]);
    const w = tf.variable(tf.tensor2d(randomArray(5 * 4, 2), [5, 4]));
    const b = tf.variable(tf.tensor1d(randomArray(4, 3)));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(dense(x, w, b, 'relu')), [w, b]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b]);
  });
});
