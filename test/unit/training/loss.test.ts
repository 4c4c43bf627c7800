import * as tf from '@tensorflow/tfjs-core';
import '../../../src-main/training/gradients';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/training/backend';
import { BCE_EPSILON, betaForEpoch, perImageBce, perImageKl, vaeLoss } from '../../../src-main/training/loss';

beforeAll(async () => {
  // As the worker sets it up: our kernels installed for cpu.
  await initBackend({ choice: 'cpu', arch: 'mlp' });
});

const logit = (p: number) => Math.log(p / (1 - p));

describe('perImageBce', () => {
  test('sums the binary cross-entropy over pixels, one value per image', () => {
    // Image 1: p = 0.5 on both pixels → 2·ln 2. Image 2: p = 0.75 for x = 1, p = 0.5 for x = 0 and x = 0.5.
    const x = tf.tensor2d([
      [1, 0, 0],
      [1, 0, 0.5],
    ]);
    const logits = tf.tensor2d([
      [0, 0, 0],
      [logit(0.75), 0, 0],
    ]);
    const bce = perImageBce(x, logits).arraySync();
    expect(bce[0]).toBeCloseTo(3 * Math.LN2, 5);
    expect(bce[1]).toBeCloseTo(-Math.log(0.75) + Math.LN2 + Math.LN2, 5);
    tf.dispose([x, logits]);
  });

  test('clips probabilities to [1e-7, 1 − 1e-7] like Keras, so a confident mistake costs −ln(1e-7)', () => {
    const x = tf.tensor2d([[0], [1], [1]]);
    const logits = tf.tensor2d([[100], [-1000], [100]]);
    const bce = perImageBce(x, logits).arraySync();
    expect(bce[0]).toBeCloseTo(-Math.log(BCE_EPSILON), 4); // 16.1181
    expect(bce[1]).toBeCloseTo(-Math.log(BCE_EPSILON), 4);
    expect(bce[2]).toBeCloseTo(0, 5);
    expect(bce.every(Number.isFinite)).toBe(true);
    tf.dispose([x, logits]);
  });
});

describe('perImageKl', () => {
  test('is −0.5·Σ(1 + logvar − mu² − exp(logvar))', () => {
    // dim 0: mu 1, logvar 0 → 0.5; dim 1: mu 0, logvar ln 2 → −0.5·(ln 2 − 1).
    const mu = tf.tensor2d([
      [1, 0],
      [0, 0],
    ]);
    const logVar = tf.tensor2d([
      [0, Math.LN2],
      [0, 0],
    ]);
    const kl = perImageKl(mu, logVar).arraySync();
    expect(kl[0]).toBeCloseTo(0.5 - 0.5 * (Math.LN2 - 1), 6);
    expect(kl[1]).toBeCloseTo(0, 7);
    tf.dispose([mu, logVar]);
  });
});

describe('vaeLoss', () => {
  test('averages over the batch and weights KL by β', () => {
    const x = tf.tensor2d([
      [1, 0],
      [1, 1],
    ]);
    const logits = tf.tensor2d([
      [0, 0],
      [logit(0.75), logit(0.75)],
    ]);
    const mu = tf.tensor2d([[1], [2]]);
    const logVar = tf.tensor2d([[0], [0]]);
    const before = tf.memory().numTensors;
    const { loss, recon, kl } = vaeLoss({ x, logits, zMu: mu, zLogVar: logVar, beta: 0.5 });
    const expectedRecon = (2 * Math.LN2 + 2 * -Math.log(0.75)) / 2;
    const expectedKl = (0.5 + 2) / 2;
    expect(recon.dataSync()[0]).toBeCloseTo(expectedRecon, 5);
    expect(kl.dataSync()[0]).toBeCloseTo(expectedKl, 6);
    expect(loss.dataSync()[0]).toBeCloseTo(expectedRecon + 0.5 * expectedKl, 5);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([x, logits, mu, logVar, loss, recon, kl]);
  });

  test('has a finite gradient where the sigmoid saturates', () => {
    const x = tf.tensor2d([[0, 1]]);
    const logits = tf.variable(tf.tensor2d([[50, -50]]));
    const grad = tf.grad((l: tf.Tensor) => tf.sum(perImageBce(x, l as tf.Tensor2D)))(logits);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, logits, grad]);
  });
});

describe('betaForEpoch', () => {
  test('ramps linearly over the warm-up, 1-based, reaching β at the last warm-up epoch', () => {
    const betas = [1, 2, 3, 4, 5].map((epoch) => betaForEpoch({ beta: 2, warmupEpochs: 4, epoch }));
    expect(betas).toEqual([0.5, 1, 1.5, 2, 2]);
  });

  test('is β from the first epoch without warm-up', () => {
    expect(betaForEpoch({ beta: 3, warmupEpochs: 0, epoch: 1 })).toBe(3);
  });
});
