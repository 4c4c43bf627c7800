import type { Architecture, Hyperparams } from './hyperparams';

/**
 * The architecture of a VAE as plain data: which layers, in which order, with
 * which weight names and shapes. The tfjs model, the main-process decoder,
 * checkpoints, model export and the New run form's parameter count all read
 * this one plan, so they cannot disagree about a shape, a name or a size.
 */

/** Activation of a layer. */
export type Activation = 'linear' | 'relu' | 'sigmoid';

/** Height × width × channels of the images a model reads and writes. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** What defines a model's shapes. */
export interface ModelSpec {
  arch: Architecture;
  image: ImageShape;
  latentDim: number;
  /** mlp: the encoder's hidden layers (the decoder mirrors them); conv: the dense layers after the convolutions. */
  hidden: number[];
}

export interface DenseLayer {
  kind: 'dense';
  /** Weight names are `${name}/kernel` (`inputs × units`) and `${name}/bias`. */
  name: string;
  inputs: number;
  units: number;
  activation: Activation;
}

/** A 'same'-padded convolution; kernel `[k, k, inChannels, filters]`, as in Keras and tfjs. */
export interface ConvLayer {
  kind: 'conv2d';
  name: string;
  kernelSize: number;
  stride: number;
  inChannels: number;
  filters: number;
  activation: Activation;
}

/**
 * A 'same'-padded transposed convolution from `inHeight × inWidth` to
 * `outHeight × outWidth`; kernel `[k, k, filters, inChannels]` (tfjs' and Keras' layout).
 */
export interface DeconvLayer {
  kind: 'conv2dTranspose';
  name: string;
  kernelSize: number;
  stride: number;
  inChannels: number;
  filters: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  activation: Activation;
}

export type Layer = DenseLayer | ConvLayer | DeconvLayer;

/** A step of a network: a layer, or a reshape between flat and image tensors. */
export type Step =
  Layer | { kind: 'toImage'; height: number; width: number; channels: number } | { kind: 'flatten' };

/**
 * A VAE as two step lists. The encoder maps flat images `[batch, pixels]` to
 * its trunk's features, then the two heads give z_mu and z_log_var; the
 * decoder maps `[batch, latentDim]` to flat images `[batch, pixels]`, its last
 * layer's activation being the sigmoid (model.ts keeps the logits for the loss).
 */
export interface ModelPlan {
  spec: ModelSpec;
  pixels: number;
  encoder: Step[];
  zMu: DenseLayer;
  zLogVar: DenseLayer;
  decoder: Step[];
}

/** One weight of the plan, with what Glorot-uniform initialisation needs. */
export interface WeightSpec {
  name: string;
  shape: number[];
  /** Glorot's fan in and fan out; 0 for biases, which start at zero. */
  fanIn: number;
  fanOut: number;
}

/** A plan that cannot be built for this input, with the sentence to show. */
export class ModelSpecError extends Error {
  override readonly name = 'ModelSpecError';
  readonly code = 'invalid_argument' as const;
}

const convFilters = [32, 64] as const;
const convKernel = 3;

/** The model spec of a run's hyperparameters on images of this shape. */
export function modelSpecFor(
  hyperparams: Pick<Hyperparams, 'arch' | 'latentDim' | 'hidden'>,
  image: ImageShape,
): ModelSpec {
  return {
    arch: hyperparams.arch,
    image: { ...image },
    latentDim: hyperparams.latentDim,
    hidden: [...hyperparams.hidden],
  };
}

/** Builds the layer plan; throws {@link ModelSpecError} when the architecture cannot take these images. */
export function planModel(spec: ModelSpec): ModelPlan {
  const { height, width, channels } = spec.image;
  const pixels = height * width * channels;
  if (!(pixels > 0) || ![height, width, channels].every(Number.isInteger)) {
    throw new ModelSpecError(`Images must have a positive integer size; got ${height}×${width}×${channels}.`);
  }
  if (!Number.isInteger(spec.latentDim) || spec.latentDim < 1) {
    throw new ModelSpecError(`The latent dimension must be a positive integer; got ${spec.latentDim}.`);
  }
  if (spec.hidden.length === 0 || !spec.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new ModelSpecError(
      `Hidden layers must be positive integers, such as [256]; got [${spec.hidden.join(', ')}].`,
    );
  }
  return spec.arch === 'mlp' ? planMlp(spec, pixels) : planConv(spec, pixels);
}

function dense(name: string, inputs: number, units: number, activation: Activation): DenseLayer {
  return { kind: 'dense', name, inputs, units, activation };
}

function planMlp(spec: ModelSpec, pixels: number): ModelPlan {
  const encoder: Step[] = [];
  let width = pixels;
  spec.hidden.forEach((units, i) => {
    encoder.push(dense(`enc/dense${i}`, width, units, 'relu'));
    width = units;
  });
  const decoder: Step[] = [];
  let inputs = spec.latentDim;
  [...spec.hidden].reverse().forEach((units, i) => {
    decoder.push(dense(`dec/dense${i}`, inputs, units, 'relu'));
    inputs = units;
  });
  decoder.push(dense('dec/output', inputs, pixels, 'sigmoid'));
  return {
    spec,
    pixels,
    encoder,
    zMu: dense('enc/z_mu', width, spec.latentDim, 'linear'),
    zLogVar: dense('enc/z_log_var', width, spec.latentDim, 'linear'),
    decoder,
  };
}

/**
 * Keras' convolutional VAE example, generalised to any size divisible by 4:
 * two stride-2 convolutions divide each side by 4, the two stride-2 transposed
 * convolutions multiply it back, so other sizes could not be reconstructed at
 * their own size.
 */
function planConv(spec: ModelSpec, pixels: number): ModelPlan {
  const { height, width, channels } = spec.image;
  if (height % 4 !== 0 || width % 4 !== 0 || height < 4 || width < 4) {
    throw new ModelSpecError(
      `The conv architecture needs image sides divisible by 4 (such as 28×28 or 32×32); ` +
        `these images are ${height}×${width}. Use the mlp architecture, or import the images at a size divisible by 4.`,
    );
  }
  const [f0, f1] = convFilters;
  const h4 = height / 4;
  const w4 = width / 4;
  const encoder: Step[] = [
    { kind: 'toImage', height, width, channels },
    {
      kind: 'conv2d',
      name: 'enc/conv0',
      kernelSize: convKernel,
      stride: 2,
      inChannels: channels,
      filters: f0,
      activation: 'relu',
    },
    {
      kind: 'conv2d',
      name: 'enc/conv1',
      kernelSize: convKernel,
      stride: 2,
      inChannels: f0,
      filters: f1,
      activation: 'relu',
    },
    { kind: 'flatten' },
  ];
  let features = h4 * w4 * f1;
  spec.hidden.forEach((units, i) => {
    encoder.push(dense(`enc/dense${i}`, features, units, 'relu'));
    features = units;
  });
  const deconv = (args: {
    name: string;
    stride: number;
    inChannels: number;
    filters: number;
    inSize: [number, number];
    activation: Activation;
  }): DeconvLayer => ({
    kind: 'conv2dTranspose',
    name: args.name,
    kernelSize: convKernel,
    stride: args.stride,
    inChannels: args.inChannels,
    filters: args.filters,
    inHeight: args.inSize[0],
    inWidth: args.inSize[1],
    outHeight: args.inSize[0] * args.stride,
    outWidth: args.inSize[1] * args.stride,
    activation: args.activation,
  });
  const decoder: Step[] = [
    dense('dec/dense0', spec.latentDim, h4 * w4 * f1, 'relu'),
    { kind: 'toImage', height: h4, width: w4, channels: f1 },
    deconv({
      name: 'dec/deconv0',
      stride: 2,
      inChannels: f1,
      filters: f1,
      inSize: [h4, w4],
      activation: 'relu',
    }),
    deconv({
      name: 'dec/deconv1',
      stride: 2,
      inChannels: f1,
      filters: f0,
      inSize: [h4 * 2, w4 * 2],
      activation: 'relu',
    }),
    deconv({
      name: 'dec/output',
      stride: 1,
      inChannels: f0,
      filters: channels,
      inSize: [height, width],
      activation: 'sigmoid',
    }),
    { kind: 'flatten' },
  ];
  return {
    spec,
    pixels,
    encoder,
    zMu: dense('enc/z_mu', features, spec.latentDim, 'linear'),
    zLogVar: dense('enc/z_log_var', features, spec.latentDim, 'linear'),
    decoder,
  };
}

/** True for steps that hold weights. */
export function isLayer(step: Step): step is Layer {
  return step.kind === 'dense' || step.kind === 'conv2d' || step.kind === 'conv2dTranspose';
}

/** Kernel and bias of a layer, Glorot fans as Keras computes them (receptive field × the last two kernel dims). */
export function layerWeights(layer: Layer): [WeightSpec, WeightSpec] {
  switch (layer.kind) {
    case 'dense':
      return [
        {
          name: `${layer.name}/kernel`,
          shape: [layer.inputs, layer.units],
          fanIn: layer.inputs,
          fanOut: layer.units,
        },
        { name: `${layer.name}/bias`, shape: [layer.units], fanIn: 0, fanOut: 0 },
      ];
    case 'conv2d': {
      const k = layer.kernelSize;
      return [
        {
          name: `${layer.name}/kernel`,
          shape: [k, k, layer.inChannels, layer.filters],
          fanIn: k * k * layer.inChannels,
          fanOut: k * k * layer.filters,
        },
        { name: `${layer.name}/bias`, shape: [layer.filters], fanIn: 0, fanOut: 0 },
      ];
    }
    case 'conv2dTranspose': {
      const k = layer.kernelSize;
      return [
        {
          name: `${layer.name}/kernel`,
          shape: [k, k, layer.filters, layer.inChannels],
          fanIn: k * k * layer.filters,
          fanOut: k * k * layer.inChannels,
        },
        { name: `${layer.name}/bias`, shape: [layer.filters], fanIn: 0, fanOut: 0 },
      ];
    }
  }
}

/** Every layer in a fixed order: encoder trunk, z_mu, z_log_var, decoder. */
export function planLayers(plan: ModelPlan): Layer[] {
  return [...plan.encoder.filter(isLayer), plan.zMu, plan.zLogVar, ...plan.decoder.filter(isLayer)];
}

/** Every weight in a fixed order; checkpoints and the optimizer state follow it. */
export function weightSpecs(plan: ModelPlan): WeightSpec[] {
  return planLayers(plan).flatMap(layerWeights);
}

/** Names of the weights the generator (decoder) uses. */
export function decoderWeightNames(plan: ModelPlan): string[] {
  return plan.decoder.filter(isLayer).flatMap((layer) => layerWeights(layer).map((w) => w.name));
}

/** Number of trainable parameters. */
export function parameterCount(plan: ModelPlan): number {
  return weightSpecs(plan).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}
