import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { BCE, KL, REPARAM } from '../../../src-main/training/kernels/loss-kernels';
import {
  perImageBce,
  perImageBcePlain,
  perImageKl,
  perImageKlPlain,
  vaeLoss,
} from '../../../src-main/training/loss';
import { reparameterize, reparameterizePlain } from '../../../src-main/training/model';
import { type BackendUnderTest, backendsUnderTest, expectClose, randomArray, use } from './helpers';

// [images, pixels]: MNIST at the presets' batches, a colour image, and widths
// that are not a multiple of 4 (the JS path on wasm) or tiny.
const bceShapes: Array<[number, number]> = [
  [64, 784],
  [128, 784],
  [3, 3072],
  [7, 13],
  [1, 4],
  [2, 1],
];
// [images, latent dimensions]
const latentShapes: Array<[number, number]> = [
  [64, 2],
  [128, 20],
  [5, 3],
  [1, 1],
];

/** Logits over the whole range the decoder produces, beyond the clip limit (±16.1) and around 0. */
function logitsOf(size: number, seed: number): Float32Array {
  const values = randomArray(size, seed).map((v) => v * 24);
  // Exact zeros and exact limits too (the clip's gradient is inclusive).
  if (size > 8) {
    values[0] = 0;
    values[1] = Math.fround(Math.log((1 - 1e-7) / 1e-7));
    values[2] = -values[1];
    values[3] = 1e-30;
  }
  return values;
}

/** Pixels in [0, 1] with exact 0s and 1s, like MNIST's. */
function pixelsOf(size: number, seed: number): Float32Array {
  return randomArray(size, seed).map((v) => (v < -0.5 ? 0 : v > 0.8 ? 1 : (v + 1) / 2));
}

interface BceResult {
  value: Float32Array;
  dLogits: Float32Array;
}

function evaluateBce(op: typeof perImageBce, shape: [number, number], seed: number): BceResult {
  const [b, p] = shape;
  return tf.tidy(() => {
    const x = tf.tensor2d(pixelsOf(b * p, seed), [b, p]);
    const logits = tf.tensor2d(logitsOf(b * p, seed + 1), [b, p]);
    // A random weighting of the images, so that each row's gradient is scaled differently.
    const r = tf.tensor1d(randomArray(b, seed + 2));
    const value = op(x, logits);
    const dLogits = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(op(x, l as tf.Tensor2D), r)))(logits);
    return { value: value.dataSync() as Float32Array, dLogits: dLogits.dataSync() as Float32Array };
  });
}

interface LatentResult {
  value: Float32Array;
  dMu: Float32Array;
  dLogVar: Float32Array;
}

function evaluateLatent(
  op: (mu: tf.Tensor2D, logVar: tf.Tensor2D) => tf.Tensor,
  shape: [number, number],
  seed: number,
): LatentResult {
  const [b, d] = shape;
  return tf.tidy(() => {
    const mu = tf.tensor2d(
      randomArray(b * d, seed).map((v) => v * 3),
      [b, d],
    );
    const logVar = tf.tensor2d(
      randomArray(b * d, seed + 1).map((v) => v * 4),
      [b, d],
    );
    const value = op(mu, logVar);
    const r = tf.tensor(randomArray(value.size, seed + 2), value.shape);
    const [dMu, dLogVar] = tf.grads((m: tf.Tensor, v: tf.Tensor) =>
      tf.sum(tf.mul(op(m as tf.Tensor2D, v as tf.Tensor2D), r)),
    )([mu, logVar]);
    return {
      value: value.dataSync() as Float32Array,
      dMu: dMu!.dataSync() as Float32Array,
      dLogVar: dLogVar!.dataSync() as Float32Array,
    };
  });
}

function reparamWith(seed: number, plain: boolean) {
  return (mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor => {
    const epsilon = tf.tensor2d(randomArray(mu.size, seed + 3), mu.shape);
    return (plain ? reparameterizePlain : reparameterize)({ zMu: mu, zLogVar: logVar, epsilon });
  };
}

describe.each(backendsUnderTest)('loss kernels on %s', (backend: BackendUnderTest) => {
  beforeAll(async () => {
    await use(backend);
  });

  test('run as our kernels', () => {
    for (const name of [BCE, KL, REPARAM]) expect(tf.getKernel(name, backend)).toBeDefined();
  });

  for (const shape of bceShapes) {
    test(`BCE [${shape.join('×')}]: same per-image sums and ∂/∂logits as the plain ops`, async () => {
      await use(backend);
      const seed = shape[0] * 31 + shape[1];
      const fused = evaluateBce(perImageBce, shape, seed);
      const plain = evaluateBce(perImageBcePlain, shape, seed);
      await use('cpu');
      const reference = evaluateBce(perImageBcePlain, shape, seed);
      for (const [other, what] of [
        [plain, 'plain'],
        [reference, 'cpu plain'],
      ] as const) {
        expectClose(fused.value, other.value, `${backend} BCE vs ${what}`);
        // tfjs' composition differentiates |l| and relu as 0 at exactly l = 0, where
        // the loss's true derivative is σ(0) − x; the kernel gives the true one.
        const expected = Float32Array.from(other.dLogits);
        const r0 = randomArray(shape[0], seed + 2)[0]!;
        if (shape[1] > 8) expected[0] = r0 * (0.5 - pixelsOf(1, seed)[0]!);
        expectClose(fused.dLogits, expected, `${backend} BCE ∂logits vs ${what}`);
      }
    });
  }

  for (const shape of latentShapes) {
    test(`KL and sampling [${shape.join('×')}]: same values and gradients as the plain ops`, async () => {
      await use(backend);
      const seed = shape[0] * 17 + shape[1];
      const cases = [
        ['KL', perImageKl, perImageKlPlain],
        ['reparameterize', reparamWith(seed, false), reparamWith(seed, true)],
      ] as const;
      for (const [what, fast, plainOp] of cases) {
        await use(backend);
        const fused = evaluateLatent(fast, shape, seed);
        await use('cpu');
        const reference = evaluateLatent(plainOp, shape, seed);
        expectClose(fused.value, reference.value, `${backend} ${what}`);
        expectClose(fused.dMu, reference.dMu, `${backend} ${what} ∂mu`);
        expectClose(fused.dLogVar, reference.dLogVar, `${backend} ${what} ∂logVar`);
      }
    });
  }

  test('a NaN logit makes the loss NaN (divergence is detected)', async () => {
    await use(backend);
    const logits = logitsOf(64 * 784, 9);
    logits[100] = NaN;
    const recon = tf.tidy(() =>
      perImageBce(tf.tensor2d(pixelsOf(64 * 784, 8), [64, 784]), tf.tensor2d(logits, [64, 784])).dataSync(),
    );
    expect(Number.isNaN(recon[0])).toBe(true);
    expect(Number.isNaN(recon[1])).toBe(false);
  });

  test('leaks no tensors, forward or backward', async () => {
    await use(backend);
    const x = tf.tensor2d(pixelsOf(4 * 8, 1), [4, 8]);
    const eps = tf.tensor2d(randomArray(4 * 2, 2), [4, 2]);
    const w = tf.variable(tf.tensor2d(randomArray(8 * 4, 3), [8, 4]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.matMul(x, w);
        const zMu = tf.slice(h, [0, 0], [4, 2]) as tf.Tensor2D;
        const zLogVar = tf.slice(h, [0, 2], [4, 2]) as tf.Tensor2D;
        const z = reparameterize({ zMu, zLogVar, epsilon: eps });
        const logits = tf.tile<tf.Tensor2D>(z, [1, 4]);
        return vaeLoss({ x, logits, zMu, zLogVar, beta: 0.5 }).loss;
      }, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, eps, w]);
  });
});

describe('Identity on wasm', () => {
  test('a clone shares storage and outlives the original', async () => {
    await use('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
  });
});
