/**
 * The seeded random generator of the whole app. Training (initial weights,
 * shuffling, ε) and the renderer's figures (the sampled z of a hover, the
 * warm-up figures) draw from the same generator, so a number drawn from a
 * seed is the same in every process and on every platform.
 */

/**
 * Mulberry32: a tiny, fast, seedable PRNG (32-bit state), identical on every
 * platform, which is what makes a seeded run reproducible.
 *
 * @param seed any number; only its low 32 bits are used.
 * @returns a function giving floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/**
 * Fills `out` with standard normal draws: Box–Muller on the given source, both
 * the cosine and the sine of each pair of uniforms used.
 */
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

/** One standard normal draw from two uniforms (Box–Muller, the cosine only). */
export function gaussian(random: () => number): number {
  const radius = Math.sqrt(-2 * Math.log(1 - random()));
  return radius * Math.cos(2 * Math.PI * random());
}
