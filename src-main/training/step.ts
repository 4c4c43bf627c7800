import * as tf from '@tensorflow/tfjs-core';
import type { LossTerms } from '../../shared/run';
import { vaeLoss } from './loss';
import type { Vae } from './model';

/** Arguments of {@link trainStep}. */
export interface TrainStepArgs {
  vae: Vae;
  optimizer: tf.Optimizer;
  /** The variables to update (the model's trainable ones). */
  variables: tf.Variable[];
  /** Pixels in [0, 1], `[batch, pixels]`. */
  x: tf.Tensor2D;
  /** The reparameterisation's noise, `[batch, latentDim]`. */
  epsilon: tf.Tensor2D;
  /** KL weight in force. */
  beta: number;
}

/**
 * One optimisation step on a batch, returning the batch's loss terms before
 * the update as a kept `[loss, recon, kl]` tensor that the caller reads (when
 * it likes: a GPU keeps computing meanwhile) and disposes.
 */
export function trainStepTensor(args: TrainStepArgs): tf.Tensor1D {
  const { vae, x, epsilon, beta } = args;
  let kept: tf.Tensor1D | null = null;
  const cost = args.optimizer.minimize(
    () => {
      const { zMu, zLogVar } = vae.encode(x);
      const z = vae.reparameterize({ zMu, zLogVar, epsilon });
      const losses = vaeLoss({ x, logits: vae.decodeLogits(z), zMu, zLogVar, beta });
      kept = tf.keep(tf.stack([losses.loss, losses.recon, losses.kl]) as tf.Tensor1D);
      return losses.loss;
    },
    false,
    args.variables,
  );
  cost?.dispose();
  if (kept === null) throw new Error('the optimizer did not run the loss function');
  return kept;
}

/**
 * {@link trainStepTensor}, read at once. The step benchmark
 * (bench/step-bench.mjs) runs exactly this; it cannot read a GPU tensor in Node.
 */
export function trainStep(args: TrainStepArgs): LossTerms {
  const terms = trainStepTensor(args);
  try {
    const [loss = NaN, recon = NaN, kl = NaN] = terms.dataSync();
    return { loss, recon, kl };
  } finally {
    terms.dispose();
  }
}
