import type { Hyperparams } from '../../shared/hyperparams';
import {
  type ImageShape,
  ModelSpecError,
  modelSpecFor,
  parameterCount,
  planModel,
} from '../../shared/model-spec';

/** "784-256-2-256-784": the layer sizes of an mlp VAE, as the presets describe them. */
function mlpShape(inputSize: number, h: Pick<Hyperparams, 'hidden' | 'latentDim'>): string {
  return [inputSize, ...h.hidden, h.latentDim, ...[...h.hidden].reverse(), inputSize].join('-');
}

/** What the New run form shows of a model: its layers in one line, and its size or why it cannot be built. */
export type ModelSummary = { shape: string; params: number } | { shape: string; error: string };

/**
 * The model these settings build on images of this shape, counted from the
 * engine's own plan (shared/model-spec.ts), so the form shows the size the run
 * will have, for either architecture.
 */
export function modelSummary(
  h: Pick<Hyperparams, 'arch' | 'hidden' | 'latentDim'>,
  image: ImageShape,
): ModelSummary {
  const pixels = image.height * image.width * image.channels;
  let plan;
  try {
    plan = planModel(modelSpecFor(h, image));
  } catch (error) {
    if (!(error instanceof ModelSpecError)) throw error;
    return { shape: h.arch === 'mlp' ? mlpShape(pixels, h) : 'conv', error: error.message };
  }
  if (h.arch === 'mlp') return { shape: mlpShape(pixels, h), params: parameterCount(plan) };
  const convs = plan.encoder.flatMap((step) => (step.kind === 'conv2d' ? [step] : []));
  const dense = plan.encoder.flatMap((step) => (step.kind === 'dense' ? [step.units] : []));
  const strides = [...new Set(convs.map((c) => c.stride))].join('/');
  return {
    shape: `Conv ${convs.map((c) => c.filters).join('/')} stride ${strides} → Dense ${dense.join('-')} → ${h.latentDim}`,
    params: parameterCount(plan),
  };
}
