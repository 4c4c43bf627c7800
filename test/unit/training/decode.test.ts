import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { createDecoder, decodeLatents } from '../../../src-main/training/decode';
import { toUint8 } from '../../../src-main/training/images';
import { createVae, initialWeights } from '../../../src-main/training/model';
import { type ModelSpec, planModel } from '../../../src-main/training/model-spec';
import { mulberry32 } from '../../../src-main/datasets/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Initial weights with every bias jittered too, so no term of the decoder is trivially zero. */
function weightsFor(spec: ModelSpec) {
  const random = mulberry32(11);
  return initialWeights({ plan: planModel(spec), seed: 5 }).map((w) =>
    w.name.endsWith('/bias') ? { ...w, data: w.data.map(() => (random() - 0.5) * 0.2) } : w,
  );
}

function compareWithGenerator(spec: ModelSpec, points: number[][]) {
  const weights = weightsFor(spec);
  const vae = createVae({ spec, seed: 0, weights });
  const expected = tf.tidy(() => vae.generate(tf.tensor2d(points)).dataSync() as Float32Array);
  vae.dispose();
  const decoder = createDecoder({ spec, weights });
  const probabilities = decoder.decodeProbabilities(points);
  expect(probabilities.length).toBe(expected.length);
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs((probabilities[i] as number) - (expected[i] as number)));
  expect(maxDiff).toBeLessThan(1e-5);
  const { images, count } = decoder.decode(points);
  expect(count).toBe(points.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs((images[i] as number) - Math.round((expected[i] as number) * 255))).toBeLessThanOrEqual(
      1,
    );
  }
}

const mnist = { height: 28, width: 28, channels: 1 };

describe('decode', () => {
  test('mlp: matches the model generator', () => {
    compareWithGenerator({ arch: 'mlp', image: mnist, latentDim: 2, hidden: [256] }, [
      [0, 0],
      [1.5, -2],
      [-3, 0.25],
    ]);
  });

  test('mlp with several hidden layers and a larger latent space', () => {
    compareWithGenerator({ arch: 'mlp', image: mnist, latentDim: 5, hidden: [64, 32] }, [
      [0, 1, 2, 3, 4],
      [-1, 0, 0.5, 0, 2],
    ]);
  });

  test('conv: matches the model generator (transposed convolutions with same padding)', () => {
    compareWithGenerator({ arch: 'conv', image: mnist, latentDim: 2, hidden: [16] }, [
      [0.3, -0.7],
      [2, 1],
    ]);
  });

  test('conv on 32×32 colour images', () => {
    compareWithGenerator(
      { arch: 'conv', image: { height: 32, width: 32, channels: 3 }, latentDim: 3, hidden: [16] },
      [[0.3, -0.7, 1]],
    );
  });

  test('is fast enough for hover: 1024 points of the reference mlp', () => {
    const spec: ModelSpec = { arch: 'mlp', image: mnist, latentDim: 2, hidden: [256] };
    const points = Array.from({ length: 1024 }, (_, i) => [Math.cos(i) * 2, Math.sin(i) * 2]);
    const started = performance.now();
    const { images, count } = decodeLatents({ spec, weights: weightsFor(spec), points });
    const ms = performance.now() - started;
    console.log(`decoded 1024 points in ${ms.toFixed(0)} ms`);
    expect(count).toBe(1024);
    expect(images.length).toBe(1024 * 784);
    // A loose bound (the machine is shared): this guards against a pathological slowdown only.
    expect(ms).toBeLessThan(10_000);
  });

  test('needs only the decoder weights, and says which one is missing', () => {
    const spec: ModelSpec = { arch: 'mlp', image: mnist, latentDim: 2, hidden: [8] };
    const decoderOnly = weightsFor(spec).filter((w) => w.name.startsWith('dec/'));
    expect(decodeLatents({ spec, weights: decoderOnly, points: [[0, 0]] }).count).toBe(1);
    const missing = decoderOnly.filter((w) => w.name !== 'dec/output/kernel');
    expect(() => decodeLatents({ spec, weights: missing, points: [[0, 0]] })).toThrow(/dec\/output\/kernel/);
    expect(() => decodeLatents({ spec, weights: decoderOnly, points: [[0]] })).toThrow(/2 finite numbers/);
  });
});

describe('toUint8', () => {
  test('rounds probabilities to bytes and clamps what falls outside [0, 1]', () => {
    expect(Array.from(toUint8([0, 0.5, 1, 1.2, -0.1, NaN, 0.998]))).toEqual([0, 128, 255, 255, 0, 0, 254]);
  });
});
