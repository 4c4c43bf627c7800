import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/training/backend';
import { DecoderCache, type DecodeRequest } from '../../../src-main/training/decode';
import { toUint8 } from '../../../src-main/training/images';
import { createVae, initialWeights } from '../../../src-main/training/model';
import { type ModelSpec, decoderWeightNames, planModel } from '../../../src-main/training/model-spec';
import { mulberry32 } from '../../../src-main/datasets/random';

/** Initial weights with every bias jittered too, so no term of the decoder is trivially zero. */
function weightsFor(spec: ModelSpec) {
  const random = mulberry32(11);
  return initialWeights({ plan: planModel(spec), seed: 5 }).map((w) =>
    w.name.endsWith('/bias') ? { ...w, data: w.data.map(() => (random() - 0.5) * 0.2) } : w,
  );
}

function request(spec: ModelSpec, points: number[][], key = `${spec.arch}-${spec.latentDim}`): DecodeRequest {
  const names = new Set(decoderWeightNames(planModel(spec)));
  return {
    key,
    spec,
    // Only the decoder's weights, as the store keeps them per epoch.
    weights: weightsFor(spec).filter((w) => names.has(w.name)),
    points: Float32Array.from(points.flat()),
    count: points.length,
  };
}

/** The whole model's generator, the one that draws the per-epoch figures. */
function generated(spec: ModelSpec, points: number[][]): Uint8Array {
  const vae = createVae({ spec, seed: 0, weights: weightsFor(spec) });
  try {
    return toUint8(tf.tidy(() => vae.generate(tf.tensor2d(points)).dataSync()));
  } finally {
    vae.dispose();
  }
}

const mnist = { height: 28, width: 28, channels: 1 };
const reference: ModelSpec = { arch: 'mlp', image: mnist, latentDim: 2, hidden: [256] };
const conv: ModelSpec = { arch: 'conv', image: mnist, latentDim: 2, hidden: [16] };

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`DecoderCache on ${backend}`, () => {
    const cache = new DecoderCache(2);
    beforeAll(async () => {
      await initBackend({ choice: backend, arch: 'conv' });
    });
    afterAll(() => cache.clear());

    const cases: Array<[string, ModelSpec, number[][]]> = [
      [
        'the reference mlp',
        reference,
        [
          [0, 0],
          [1.5, -2],
          [-3, 0.25],
        ],
      ],
      [
        'an mlp with two hidden layers, 5-D latent',
        { ...reference, latentDim: 5, hidden: [64, 32] },
        [
          [0, 1, 2, 3, 4],
          [-1, 0, 0.5, 0, 2],
        ],
      ],
      [
        'the Keras conv decoder',
        conv,
        [
          [0.3, -0.7],
          [2, 1],
        ],
      ],
      [
        'conv on 32×32 colour images',
        { ...conv, image: { height: 32, width: 32, channels: 3 }, latentDim: 3 },
        [[0.3, -0.7, 1]],
      ],
    ];
    for (const [what, spec, points] of cases) {
      test(`${what}: the model's generator from the decoder's weights alone`, async () => {
        const { images, count } = await cache.decode(request(spec, points));
        expect(count).toBe(points.length);
        expect(Array.from(images)).toEqual(Array.from(generated(spec, points)));
      });
    }

    test('more points than one generator call: the same images, in order', async () => {
      const points = Array.from({ length: 300 }, (_, i) => [Math.cos(i) * 2, Math.sin(i) * 2]);
      const { images } = await cache.decode(request(reference, points));
      expect(images.length).toBe(300 * 784);
      expect(Array.from(images)).toEqual(Array.from(generated(reference, points)));
    });

    test('says which decoder weight is missing', async () => {
      const r = request(reference, [[0, 0]], 'missing');
      r.weights = r.weights.filter((w) => w.name !== 'dec/output/kernel');
      await expect(cache.decode(r)).rejects.toThrow(/no "dec\/output\/kernel"/);
    });

    test('leaks no tensors: a cached decoder reuses its own, an evicted one frees them', async () => {
      cache.clear();
      const baseline = tf.memory().numTensors;
      await cache.decode(request(conv, [[0, 0]], 'a'));
      const oneModel = tf.memory().numTensors - baseline;
      expect(oneModel).toBeGreaterThan(0);
      await cache.decode(request(conv, [[1, 1]], 'a'));
      expect(tf.memory().numTensors).toBe(baseline + oneModel);
      await cache.decode(request(conv, [[1, 1]], 'b'));
      await cache.decode(request(conv, [[1, 1]], 'c'));
      // Capacity 2: 'a' was evicted and disposed.
      expect(tf.memory().numTensors).toBe(baseline + 2 * oneModel);
      cache.clear();
      expect(tf.memory().numTensors).toBe(baseline);
    });
  });
}

describe('toUint8', () => {
  test('rounds probabilities to bytes and clamps what falls outside [0, 1]', () => {
    expect(Array.from(toUint8([0, 0.5, 1, 1.2, -0.1, NaN, 0.998]))).toEqual([0, 128, 255, 255, 0, 0, 254]);
  });
});
