import type { Hyperparams } from '../../shared/hyperparams';

/** "784-256-2-256-784": the layer sizes of an mlp VAE, as the presets describe them. */
export function mlpShape(inputSize: number, h: Pick<Hyperparams, 'hidden' | 'latentDim'>): string {
  return [inputSize, ...h.hidden, h.latentDim, ...[...h.hidden].reverse(), inputSize].join('-');
}

/**
 * Trainable parameters of the mlp VAE: encoder Dense layers, the two latent
 * heads (z_mu, z_log_var), and the mirrored decoder. The seed's 784-256-2 gives 404,244.
 */
export function mlpParameterCount(inputSize: number, h: Pick<Hyperparams, 'hidden' | 'latentDim'>): number {
  const dense = (i: number, o: number) => i * o + o;
  let total = 0;
  let prev = inputSize;
  for (const units of h.hidden) {
    total += dense(prev, units);
    prev = units;
  }
  total += 2 * dense(prev, h.latentDim);
  prev = h.latentDim;
  for (const units of [...h.hidden].reverse()) {
    total += dense(prev, units);
    prev = units;
  }
  return total + dense(prev, inputSize);
}
