import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { isLayer, type ModelPlan, type Step } from '../training/model-spec';
import type { NamedArray } from '../store';

/**
 * The engine's model (plain named weights, laid out by the plan in
 * training/model-spec.ts) rebuilt as tfjs-layers models and serialised in the
 * TensorFlow.js layers format (`model.json` + `weights.bin`), which
 * `tf.loadLayersModel` reads.
 *
 * Mapping: every plan layer becomes the tfjs-layers layer of the same kind and
 * activation, named as in the plan with `/` turned into `_` (`dec/dense0` →
 * `dec_dense0`, weights `dec_dense0/kernel` and `dec_dense0/bias`). Kernel
 * layouts are the same in both (`[in, out]` for dense, `[k, k, in, filters]`
 * for conv2d, `[k, k, filters, in]` for conv2dTranspose), so weights are copied
 * as they are. Models are flat in and out, like the engine: the decoder maps
 * `[batch, latentDim]` to `[batch, pixels]` probabilities (the sigmoid
 * included), the encoder maps `[batch, pixels]` in [0, 1] to
 * `[z_mu, z_log_var]`.
 */

type Tf = typeof TfCore;
type Tfl = typeof TfLayers;

/** The serialised files of one model. */
export interface ModelFiles {
  /** The text of `model.json`. */
  modelJson: string;
  /** The bytes of `weights.bin` (the manifest in model.json names it). */
  weights: Buffer;
}

/** File name of the weights that `model.json` points to. */
export const weightsFileName = 'weights.bin';

let loaded: Promise<{ tf: Tf; tfl: Tfl }> | null = null;

/**
 * tfjs is loaded on first use only: the main process exports rarely and
 * should not pay for it at start. The pure-JS cpu backend is enough to hold
 * weights; the native binding stays in the training worker.
 */
export function loadTfjs(): Promise<{ tf: Tf; tfl: Tfl }> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    // Production mode also silences the cpu backend's "install tfjs-node" banner, which would land in CLI output.
    tf.enableProdMode();
    await import('@tensorflow/tfjs-backend-cpu');
    const tfl = await import('@tensorflow/tfjs-layers');
    await tf.ready();
    return { tf, tfl };
  })();
  return loaded;
}

/** The tfjs-layers name of a plan layer. */
export function layerName(planName: string): string {
  return planName.replace(/\//g, '_');
}

function weightOf(weights: ReadonlyMap<string, NamedArray>, name: string, shape: number[]): NamedArray {
  const w = weights.get(name);
  if (!w) throw new RangeError(`The stored weights have no "${name}".`);
  if (w.shape.join('x') !== shape.join('x')) {
    throw new RangeError(
      `Weight "${name}" has shape [${w.shape.join(', ')}]; the model needs [${shape.join(', ')}].`,
    );
  }
  return w;
}

/** Applies plan steps with tfjs-layers layers, collecting the weighted layers to fill afterwards. */
function applySteps(args: {
  tfl: Tfl;
  steps: readonly Step[];
  input: TfLayers.SymbolicTensor;
  built: { layer: TfLayers.layers.Layer; planName: string }[];
}): TfLayers.SymbolicTensor {
  const { tfl, built } = args;
  let x = args.input;
  for (const step of args.steps) {
    let layer: TfLayers.layers.Layer;
    switch (step.kind) {
      case 'toImage':
        layer = tfl.layers.reshape({ targetShape: [step.height, step.width, step.channels] });
        break;
      case 'flatten':
        layer = tfl.layers.flatten();
        break;
      case 'dense':
        layer = tfl.layers.dense({
          units: step.units,
          activation: step.activation,
          name: layerName(step.name),
        });
        break;
      case 'conv2d':
        layer = tfl.layers.conv2d({
          filters: step.filters,
          kernelSize: step.kernelSize,
          strides: step.stride,
          padding: 'same',
          activation: step.activation,
          name: layerName(step.name),
        });
        break;
      case 'conv2dTranspose':
        layer = tfl.layers.conv2dTranspose({
          filters: step.filters,
          kernelSize: step.kernelSize,
          strides: step.stride,
          padding: 'same',
          activation: step.activation,
          name: layerName(step.name),
        });
        break;
    }
    x = layer.apply(x) as TfLayers.SymbolicTensor;
    if (isLayer(step)) built.push({ layer, planName: step.name });
  }
  return x;
}

/** Copies stored weights into the built layers (their shapes checked against what tfjs-layers built). */
function fill(args: {
  tf: Tf;
  built: { layer: TfLayers.layers.Layer; planName: string }[];
  weights: ReadonlyMap<string, NamedArray>;
}): void {
  for (const { layer, planName } of args.built) {
    const values = layer.getWeights().map((current, i) => {
      const w = weightOf(args.weights, `${planName}/${i === 0 ? 'kernel' : 'bias'}`, current.shape);
      return args.tf.tensor(w.data, w.shape, 'float32');
    });
    layer.setWeights(values);
    args.tf.dispose(values);
  }
}

async function serialise(args: { tf: Tf; model: TfLayers.LayersModel }): Promise<ModelFiles> {
  let files: ModelFiles | null = null;
  await args.model.save(
    args.tf.io.withSaveHandler((artifacts) => {
      const weights = Buffer.from(args.tf.io.concatenateArrayBuffers(artifacts.weightData ?? []));
      const modelJson = JSON.stringify({
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: 'VAE Studio',
        weightsManifest: [{ paths: [weightsFileName], weights: artifacts.weightSpecs ?? [] }],
      });
      files = { modelJson, weights };
      // The files are written by the caller, so that write errors carry the report folder's name.
      return Promise.resolve({
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON' as const,
          modelTopologyBytes: modelJson.length,
          weightDataBytes: weights.length,
        },
      });
    }),
  );
  if (!files) throw new Error('tfjs did not hand over the model artifacts.');
  return files;
}

/** Arguments of {@link decoderModelFiles} and {@link encoderModelFiles}. */
export interface ModelFilesArgs {
  plan: ModelPlan;
  /** Named as in the plan (`dec/dense0/kernel`, …); extra weights are ignored. */
  weights: readonly NamedArray[];
}

async function build(args: ModelFilesArgs & { part: 'decoder' | 'encoder' }): Promise<ModelFiles> {
  const { tf, tfl } = await loadTfjs();
  const { plan } = args;
  const weights = new Map(args.weights.map((w) => [w.name, w]));
  const built: { layer: TfLayers.layers.Layer; planName: string }[] = [];
  let model: TfLayers.LayersModel;
  if (args.part === 'decoder') {
    const input = tfl.input({ shape: [plan.spec.latentDim], name: 'z' });
    const output = applySteps({ tfl, steps: plan.decoder, input, built });
    model = tfl.model({ inputs: input, outputs: output, name: 'decoder' });
  } else {
    const input = tfl.input({ shape: [plan.pixels], name: 'x' });
    const features = applySteps({ tfl, steps: plan.encoder, input, built });
    const zMu = applySteps({ tfl, steps: [plan.zMu], input: features, built });
    const zLogVar = applySteps({ tfl, steps: [plan.zLogVar], input: features, built });
    model = tfl.model({ inputs: input, outputs: [zMu, zLogVar], name: 'encoder' });
  }
  try {
    fill({ tf, built, weights });
    return await serialise({ tf, model });
  } finally {
    model.dispose();
  }
}

/** The generator (decoder) as TensorFlow.js layers-model files. */
export function decoderModelFiles(args: ModelFilesArgs): Promise<ModelFiles> {
  return build({ ...args, part: 'decoder' });
}

/** The encoder (outputs z_mu and z_log_var) as TensorFlow.js layers-model files. */
export function encoderModelFiles(args: ModelFilesArgs): Promise<ModelFiles> {
  return build({ ...args, part: 'encoder' });
}
