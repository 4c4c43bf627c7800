import * as tf from '@tensorflow/tfjs-core';
import { BCE, KL, runBce, runKl } from './kernels/loss-kernels';

/** Whether the active backend has our kernel `name` and every input is a float32 matrix. */
function fused(name: string, ...inputs: tf.Tensor[]): boolean {
  return (
    inputs.every((t) => t.dtype === 'float32' && t.rank === 2) &&
    tf.getKernel(name, tf.getBackend()) !== undefined
  );
}

/**
 * The VAE loss of the reference experiment: per image, binary cross-entropy
 * summed over pixels plus β·KL(q(z|x) ‖ N(0, I)); the batch loss is the mean
 * over images.
 */

/** Keras' fuzz factor: predicted probabilities are clipped to [ε, 1 − ε]. */
export const BCE_EPSILON = 1e-7;

// Clipping p to [ε, 1 − ε] is clipping the logit to ±log((1 − ε)/ε); working on
// logits keeps the loss finite and exact where sigmoid(l) rounds to 0 or 1 in
// float32. Unlike Keras ≥ 2.4 no extra ε is added inside the logarithms.
const LOGIT_LIMIT = Math.log((1 - BCE_EPSILON) / BCE_EPSILON);

/** The loss terms of a batch as scalars: each the mean over images. */
export interface LossTensors {
  /** recon + β·kl */
  loss: tf.Scalar;
  recon: tf.Scalar;
  kl: tf.Scalar;
}

/**
 * Per-image BCE summed over pixels, `[batch]`, from the decoder's logits:
 * −[x·log p + (1 − x)·log(1 − p)] with p = sigmoid(l) = softplus(l) − x·l,
 * softplus(l) computed as max(l, 0) + log1p(exp(−|l|)) so exp never overflows.
 * One kernel where the backend has ours (kernels/loss-kernels.ts).
 */
export function perImageBce(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  if (fused(BCE, x, logits)) return runBce(x, logits, LOGIT_LIMIT);
  return perImageBcePlain(x, logits);
}

/** {@link perImageBce} with plain tfjs ops: the reference the kernel is tested against. */
export function perImageBcePlain(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const l = tf.clipByValue(logits, -LOGIT_LIMIT, LOGIT_LIMIT);
    const softplus = tf.add(tf.relu(l), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
    return tf.sum<tf.Tensor1D>(tf.sub(softplus, tf.mul(x, l)), 1);
  });
}

/** Per-image KL = −0.5·Σ_latent(1 + log σ² − μ² − σ²), `[batch]`. */
export function perImageKl(zMu: tf.Tensor2D, zLogVar: tf.Tensor2D): tf.Tensor1D {
  if (fused(KL, zMu, zLogVar)) return runKl(zMu, zLogVar);
  return perImageKlPlain(zMu, zLogVar);
}

/** {@link perImageKl} with plain tfjs ops. */
export function perImageKlPlain(zMu: tf.Tensor2D, zLogVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.mul<tf.Tensor1D>(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMu)), tf.exp(zLogVar)), 1)),
  );
}

/** Arguments of {@link vaeLoss}. */
export interface VaeLossArgs {
  /** Target pixels in [0, 1], `[batch, pixels]`. */
  x: tf.Tensor2D;
  /** Decoder output before the sigmoid, `[batch, pixels]`. */
  logits: tf.Tensor2D;
  zMu: tf.Tensor2D;
  zLogVar: tf.Tensor2D;
  /** KL weight in force (after warm-up). */
  beta: number;
}

/** The batch loss and its two terms, each the mean over the batch's images. */
export function vaeLoss(args: VaeLossArgs): LossTensors {
  return tf.tidy(() => {
    const recon = tf.mean<tf.Scalar>(perImageBce(args.x, args.logits));
    const kl = tf.mean<tf.Scalar>(perImageKl(args.zMu, args.zLogVar));
    const loss = tf.add<tf.Scalar>(recon, tf.mul(kl, args.beta));
    return { loss, recon, kl };
  });
}

/**
 * β in force during a 1-based epoch under linear KL warm-up:
 * β_epoch = β·min(1, epoch / warmupEpochs), and β when warm-up is off (0).
 * So with 4 warm-up epochs, epochs 1, 2, 3, 4, 5 use β/4, β/2, 3β/4, β, β:
 * the first epoch already has some KL pressure, and the full β is reached at
 * the end of the warm-up, never later.
 */
export function betaForEpoch(args: { beta: number; warmupEpochs: number; epoch: number }): number {
  if (args.warmupEpochs <= 0) return args.beta;
  return args.beta * Math.min(1, args.epoch / args.warmupEpochs);
}
