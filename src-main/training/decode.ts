import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './checkpoint';
import { toUint8 } from './images';
import { type Vae, createVae } from './model';
import { type ModelSpec, decoderWeightNames, planModel, weightSpecs } from './model-spec';
import type { DecodeRequest, DecodedImages } from './protocol';

/**
 * Decodes latent points to images in a worker (runs:decode: hover,
 * manifold, interpolation, traversal, prior samples) with the model's own
 * generator on the worker's tfjs backend, our kernels included: the same
 * code that draws the per-epoch figures, ~20× faster than plain loops for the
 * conv decoder, and off the main event loop.
 */

export type { DecodeRequest, DecodedImages } from './protocol';

/** Points per generator call: bounds the activations of the conv decoder (~7 MB at 256). */
const batchSize = 256;

/**
 * A model whose decoder holds `weights`. The generator runs the decoder only;
 * the encoder's weights, which runs:decode never has, are zeros.
 */
function generatorFor(spec: ModelSpec, weights: readonly NamedArray[]): Vae {
  const plan = planModel(spec);
  const needed = new Set(decoderWeightNames(plan));
  const byName = new Map(weights.map((w) => [w.name, w]));
  const all = weightSpecs(plan).map((w): NamedArray => {
    const given = byName.get(w.name);
    if (needed.has(w.name)) {
      if (!given) {
        throw new Error(`The weights have no "${w.name}" (a decoder needs ${[...needed].join(', ')}).`);
      }
      return given;
    }
    return { name: w.name, shape: [...w.shape], data: new Float32Array(w.shape.reduce((a, b) => a * b, 1)) };
  });
  return createVae({ spec, seed: 0, weights: all });
}

/**
 * The decoders of the last few weights asked for, by request key: a hover
 * decodes one point at a time with the same weights. Owns their tensors.
 */
export class DecoderCache {
  private readonly models = new Map<string, Vae>();

  constructor(private readonly capacity = 4) {}

  async decode(request: DecodeRequest): Promise<DecodedImages> {
    const { spec, points, count } = request;
    if (points.length !== count * spec.latentDim || !points.every(Number.isFinite)) {
      throw new RangeError(`Expected ${count} points of ${spec.latentDim} finite numbers.`);
    }
    const model = this.model(request);
    const pixels = spec.image.height * spec.image.width * spec.image.channels;
    const images = new Uint8Array(count * pixels);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const probabilities = tf.tidy(() =>
        model.generate(
          tf.tensor2d(points.subarray(start * spec.latentDim, (start + n) * spec.latentDim), [
            n,
            spec.latentDim,
          ]),
        ),
      );
      try {
        // Asynchronous: a GPU backend cannot read synchronously in Node.
        toUint8(await probabilities.data(), images.subarray(start * pixels, (start + n) * pixels));
      } finally {
        probabilities.dispose();
      }
    }
    return { images, count };
  }

  /** Frees every decoder's tensors. */
  clear(): void {
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
  }

  private model(request: DecodeRequest): Vae {
    const cached = this.models.get(request.key);
    if (cached) {
      // Most recently used last: eviction takes the first.
      this.models.delete(request.key);
      this.models.set(request.key, cached);
      return cached;
    }
    const model = generatorFor(request.spec, request.weights);
    this.models.set(request.key, model);
    if (this.models.size > this.capacity) {
      const [oldestKey, oldest] = this.models.entries().next().value as [string, Vae];
      this.models.delete(oldestKey);
      oldest.dispose();
    }
    return model;
  }
}
