import type { NamedArray } from './checkpoint';
import { toUint8 } from './images';
import type { Activation } from './ops';
import {
  type DeconvLayer,
  type DenseLayer,
  type ModelPlan,
  type ModelSpec,
  decoderWeightNames,
  isLayer,
  layerWeights,
  planModel,
} from './model-spec';

/**
 * Decodes latent points to images in the main process (hover, interpolation,
 * traversal) with plain TypeScript loops, so the main process never loads
 * tfjs. The reference mlp costs ~0.2 M multiply-adds per image (1024 points
 * in a few hundred ms); the conv decoder ~6 M (several ms per image).
 */

/** Decoded images: `count` images of `height × width × channels` bytes, concatenated. */
export interface DecodedImages {
  images: Uint8Array;
  count: number;
}

/** A decoder bound to one set of weights; reuse it for every hover of the same epoch. */
export interface LatentDecoder {
  spec: ModelSpec;
  /** Points as rows of `latentDim` numbers. */
  decode(points: readonly (readonly number[])[]): DecodedImages;
  /** Pixel probabilities in [0, 1], `count × pixels`, before the conversion to bytes. */
  decodeProbabilities(points: readonly (readonly number[])[]): Float32Array;
}

function activate(values: Float32Array, activation: Activation): void {
  switch (activation) {
    case 'relu':
      for (let i = 0; i < values.length; i++) if ((values[i] as number) < 0) values[i] = 0;
      return;
    case 'sigmoid':
      for (let i = 0; i < values.length; i++) values[i] = 1 / (1 + Math.exp(-(values[i] as number)));
      return;
    case 'linear':
      return;
  }
}

/** `[inputs, units]` → `[units, inputs]`, so each output is a dot product over contiguous memory. */
function transpose(args: { kernel: Float32Array; inputs: number; units: number }): Float32Array {
  const { kernel, inputs, units } = args;
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < inputs; i++)
    for (let u = 0; u < units; u++) out[u * inputs + i] = kernel[i * units + u] as number;
  return out;
}

/** `kernelT` is the kernel transposed to `[units, inputs]`. */
function dense(args: {
  layer: DenseLayer;
  x: Float32Array;
  count: number;
  kernelT: Float32Array;
  bias: Float32Array;
}): Float32Array {
  const { layer, x, count, kernelT, bias } = args;
  const { inputs, units } = layer;
  const out = new Float32Array(count * units);
  for (let n = 0; n < count; n++) {
    const row = n * inputs;
    for (let u = 0; u < units; u++) {
      const w = u * inputs;
      let sum = bias[u] as number;
      for (let i = 0; i < inputs; i++) sum += (x[row + i] as number) * (kernelT[w + i] as number);
      out[n * units + u] = sum;
    }
  }
  activate(out, layer.activation);
  return out;
}

/**
 * Transposed convolution, 'same' padding as TensorFlow defines it: the input
 * pixel (i, j) spreads over output (i·s + ky − padTop, j·s + kx − padLeft),
 * padTop = ⌊max(0, (inH − 1)·s + k − outH) / 2⌋. Kernel `[k, k, filters, inChannels]`.
 */
function deconv(args: {
  layer: DeconvLayer;
  x: Float32Array;
  count: number;
  kernel: Float32Array;
  bias: Float32Array;
}): Float32Array {
  const { layer, x, count, kernel, bias } = args;
  const {
    kernelSize: k,
    stride: s,
    inChannels: cin,
    filters: cout,
    inHeight,
    inWidth,
    outHeight,
    outWidth,
  } = layer;
  const padTop = Math.floor(Math.max(0, (inHeight - 1) * s + k - outHeight) / 2);
  const padLeft = Math.floor(Math.max(0, (inWidth - 1) * s + k - outWidth) / 2);
  const inSize = inHeight * inWidth * cin;
  const outSize = outHeight * outWidth * cout;
  const out = new Float32Array(count * outSize);
  for (let n = 0; n < count; n++) {
    const input = x.subarray(n * inSize, (n + 1) * inSize);
    const output = out.subarray(n * outSize, (n + 1) * outSize);
    for (let i = 0; i < inHeight; i++) {
      for (let j = 0; j < inWidth; j++) {
        const pixel = (i * inWidth + j) * cin;
        for (let ky = 0; ky < k; ky++) {
          const y = i * s + ky - padTop;
          if (y < 0 || y >= outHeight) continue;
          for (let kx = 0; kx < k; kx++) {
            const xo = j * s + kx - padLeft;
            if (xo < 0 || xo >= outWidth) continue;
            const target = (y * outWidth + xo) * cout;
            const tap = (ky * k + kx) * cout * cin;
            for (let co = 0; co < cout; co++) {
              let sum = 0;
              const w = tap + co * cin;
              for (let ci = 0; ci < cin; ci++)
                sum += (input[pixel + ci] as number) * (kernel[w + ci] as number);
              output[target + co] = (output[target + co] as number) + sum;
            }
          }
        }
      }
    }
    for (let p = 0; p < outHeight * outWidth; p++) {
      for (let co = 0; co < cout; co++)
        output[p * cout + co] = (output[p * cout + co] as number) + (bias[co] as number);
    }
  }
  activate(out, layer.activation);
  return out;
}

function checkedWeights(plan: ModelPlan, weights: readonly NamedArray[]): Map<string, Float32Array> {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const out = new Map<string, Float32Array>();
  for (const layer of plan.decoder.filter(isLayer)) {
    for (const spec of layerWeights(layer)) {
      const given = byName.get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!given || given.data.length !== size) {
        throw new Error(
          given
            ? `Decoder weight "${spec.name}" has ${given.data.length} values; the model needs ${size}.`
            : `The weights have no "${spec.name}" (a decoder needs ${decoderWeightNames(plan).join(', ')}).`,
        );
      }
      // Dense kernels are kept transposed, the layout dense() reads fastest.
      const stored =
        layer.kind === 'dense' && spec.name.endsWith('/kernel')
          ? transpose({ kernel: given.data, inputs: layer.inputs, units: layer.units })
          : given.data;
      out.set(spec.name, stored);
    }
  }
  return out;
}

/** Binds a decoder to a model spec and its weights (a checkpoint's, or only its decoder's). */
export function createDecoder(args: { spec: ModelSpec; weights: readonly NamedArray[] }): LatentDecoder {
  const plan = planModel(args.spec);
  const weights = checkedWeights(plan, args.weights);
  const get = (name: string): Float32Array => weights.get(name) as Float32Array;
  const { latentDim } = args.spec;

  const decodeProbabilities = (points: readonly (readonly number[])[]): Float32Array => {
    const count = points.length;
    let x: Float32Array = new Float32Array(count * latentDim);
    points.forEach((point, n) => {
      if (point.length !== latentDim || !point.every(Number.isFinite)) {
        throw new RangeError(`Point ${n} must be ${latentDim} finite numbers; got [${point.join(', ')}].`);
      }
      x.set(point, n * latentDim);
    });
    for (const step of plan.decoder) {
      switch (step.kind) {
        case 'dense':
          x = dense({
            layer: step,
            x,
            count,
            kernelT: get(`${step.name}/kernel`),
            bias: get(`${step.name}/bias`),
          });
          break;
        case 'conv2dTranspose':
          x = deconv({
            layer: step,
            x,
            count,
            kernel: get(`${step.name}/kernel`),
            bias: get(`${step.name}/bias`),
          });
          break;
        case 'toImage':
        case 'flatten':
          // Row-major NHWC: reshapes do not move values.
          break;
        case 'conv2d':
          throw new Error(`A decoder has no ${step.kind} layer (${step.name}).`);
      }
    }
    return x;
  };

  return {
    spec: args.spec,
    decodeProbabilities,
    decode: (points) => ({ images: toUint8(decodeProbabilities(points)), count: points.length }),
  };
}

/** One-shot form of {@link createDecoder}: decodes `points` with these weights. */
export function decodeLatents(args: {
  spec: ModelSpec;
  weights: readonly NamedArray[];
  points: readonly (readonly number[])[];
}): DecodedImages {
  return createDecoder(args).decode(args.points);
}
