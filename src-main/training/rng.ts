import { mixSeed, mulberry32 } from '../../shared/random';

export { fillNormal, mixSeed } from '../../shared/random';

/**
 * Seeded random streams of the engine. Every random draw of a run (initial
 * weights, ε of each step, the fixed gallery and prior samples) comes from a
 * stream whose seed is derived from the run's seed and the draw's coordinates,
 * so a draw never depends on how many draws came before it: a run resumed at
 * epoch k draws exactly what the uninterrupted run drew.
 */

/** Independent purposes, mixed into the seed so their streams never coincide. */
export const streams = {
  init: 1,
  trainEpsilon: 2,
  testEpsilon: 3,
  galleryEpsilon: 4,
  prior: 5,
} as const;

/** A uniform [0, 1) source seeded from {@link mixSeed}`(...parts)`. */
export function seededRandom(...parts: number[]): () => number {
  return mulberry32(mixSeed(...parts));
}
