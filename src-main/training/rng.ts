import { mulberry32 } from '../datasets/random';

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

/**
 * Hashes integers into a 32-bit seed (murmur3's finaliser after each part), so
 * that neighbouring coordinates (step 7, step 8) give unrelated streams.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h ^= part >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A uniform [0, 1) source seeded from {@link mixSeed}`(...parts)`. */
export function seededRandom(...parts: number[]): () => number {
  return mulberry32(mixSeed(...parts));
}

/** Fills `out` with standard normal draws (Box–Muller on the given source). */
export function fillNormal(out: Float32Array, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    // 1 − u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
