import type { EpochMetrics, LossTerms } from '../../../shared/run';

/**
 * Plain data for the renderer's pure functions (charts, CSV). Anything that
 * needs the core's answers gets them from the real core (`real-core.ts`).
 */

function terms(loss: number, kl: number): LossTerms {
  return { loss, recon: loss - kl, kl };
}

/** Plausible metrics of epoch `e` (the notebook's curve shape), `shift` higher. */
export function fakeEpoch(e: number, shift = 0): EpochMetrics {
  const test = 150 + shift + 40 / e;
  return {
    epoch: e,
    train: terms(test + 2 + 30 / e, 6 + 0.1 * e),
    test: terms(test, 6 + 0.1 * e),
    beta: 1,
    seconds: 16,
    samplesPerSecond: 3750,
  };
}
