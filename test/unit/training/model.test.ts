import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/training/backend';
import { createVae, initialWeights } from '../../../src-main/training/model';
import { type ModelSpec, planModel } from '../../../src-main/training/model-spec';

beforeAll(async () => {
  // As the worker sets it up: our kernels installed for cpu.
  await initBackend({ choice: 'cpu', arch: 'conv' });
});

const mnist = { height: 28, width: 28, channels: 1 };
const reference: ModelSpec = { arch: 'mlp', image: mnist, latentDim: 2, hidden: [256] };
const kerasConv: ModelSpec = { arch: 'conv', image: mnist, latentDim: 2, hidden: [16] };

describe('initialisation', () => {
  test('Glorot-uniform from the seed: same seed same weights, within ±sqrt(6/(in+out)), zero biases', () => {
    const plan = planModel(reference);
    const a = initialWeights({ plan, seed: 7 });
    const b = initialWeights({ plan, seed: 7 });
    const c = initialWeights({ plan, seed: 8 });
    const same = (p?: Float32Array, q?: Float32Array) => !!p && !!q && p.every((v, i) => v === q[i]);
    expect(same(a[0]?.data, b[0]?.data)).toBe(true);
    expect(same(a[0]?.data, c[0]?.data)).toBe(false);
    const kernel = a[0]?.data ?? new Float32Array();
    const limit = Math.sqrt(6 / (784 + 256));
    const max = kernel.reduce((m, v) => Math.max(m, v), -Infinity);
    const min = kernel.reduce((m, v) => Math.min(m, v), Infinity);
    expect(max).toBeLessThanOrEqual(limit);
    expect(min).toBeGreaterThanOrEqual(-limit);
    expect(max).toBeGreaterThan(limit * 0.99);
    expect(min).toBeLessThan(-limit * 0.99);
    expect(a[1]?.data.every((v) => v === 0)).toBe(true);
  });
});

describe('Vae', () => {
  test('mlp: encoder, decoder and generator shapes; the generator is sigmoid of the decoder and shares its weights', async () => {
    const before = tf.memory().numTensors;
    const vae = createVae({ spec: reference, seed: 1 });
    tf.tidy(() => {
      const x = tf.randomUniform<tf.Rank.R2>([3, 784]);
      const { zMu, zLogVar } = vae.encode(x);
      expect(zMu.shape).toEqual([3, 2]);
      expect(zLogVar.shape).toEqual([3, 2]);
      const logits = vae.decodeLogits(zMu);
      expect(logits.shape).toEqual([3, 784]);
      const images = vae.generate(zMu);
      expect(Array.from(images.dataSync())).toEqual(Array.from(tf.sigmoid(logits).dataSync()));
    });
    // Changing a decoder weight changes the generator: they are the same variables.
    const weights = await vae.readWeights();
    const out = weights.find((w) => w.name === 'dec/output/bias');
    if (!out) throw new Error('no dec/output/bias');
    out.data.fill(-50);
    vae.assignWeights(weights);
    const image = tf.tidy(() => vae.generate(tf.zeros([1, 2])).dataSync());
    expect(Math.max(...image)).toBeLessThan(1e-6);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('conv: shapes through the Keras example architecture', () => {
    const vae = createVae({ spec: kerasConv, seed: 1 });
    tf.tidy(() => {
      const x = tf.randomUniform<tf.Rank.R2>([2, 784]);
      const { zMu } = vae.encode(x);
      expect(zMu.shape).toEqual([2, 2]);
      expect(vae.generate(zMu).shape).toEqual([2, 784]);
    });
    vae.dispose();
  });

  test('two models can live at once (distinct tfjs variable names)', async () => {
    const a = createVae({ spec: reference, seed: 1 });
    const b = createVae({ spec: reference, seed: 1 });
    const [wa, wb] = [(await a.readWeights())[0]?.data, (await b.readWeights())[0]?.data];
    expect(wa && wb && wa.length === wb.length && wa.every((v, i) => v === wb[i])).toBe(true);
    a.dispose();
    b.dispose();
  });

  test('rejects weights of the wrong shape', () => {
    const weights = initialWeights({ plan: planModel(reference), seed: 1 });
    const wrong = weights.map((w) =>
      w.name === 'enc/z_mu/bias' ? { ...w, shape: [3], data: new Float32Array(3) } : w,
    );
    expect(() => createVae({ spec: reference, seed: 1, weights: wrong })).toThrow(/enc\/z_mu\/bias/);
  });
});
