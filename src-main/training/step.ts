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
 * One optimisation step on a batch; returns the batch's loss terms before the
 * update. The training loop and the step benchmark (bench/step-bench.mjs) both
 * run exactly this.
 */
export function trainStep(args: TrainStepArgs): LossTerms {
  const { vae, x, epsilon, beta } = args;
  let kept: tf.Tensor | null = null;
  try {
    const cost = args.optimizer.minimize(
      () => {
        const { zMu, zLogVar } = vae.encode(x);
        const z = vae.reparameterize({ zMu, zLogVar, epsilon });
        const losses = vaeLoss({ x, logits: vae.decodeLogits(z), zMu, zLogVar, beta });
        kept = tf.keep(tf.stack([losses.recon, losses.kl]));
        return losses.loss;
      },
      true,
      args.variables,
    );
    const loss = cost?.dataSync()[0] ?? NaN;
    cost?.dispose();
    const [recon = NaN, kl = NaN] = kept ? (kept as tf.Tensor).dataSync() : [];
    return { loss, recon, kl };
  } finally {
    (kept as tf.Tensor | null)?.dispose();
  }
}
