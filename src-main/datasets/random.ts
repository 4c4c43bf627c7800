/**
 * Mulberry32: a tiny, fast, seedable PRNG (32-bit state). Good enough for
 * shuffling and splits, and identical on every platform, which is what makes a
 * seeded run reproducible.
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
 * The indices `0..count-1` in an order fixed by `seed` (Fisher–Yates driven by
 * {@link mulberry32}). The same count and seed always give the same order.
 */
export function shuffledIndices(count: number, seed: number): Uint32Array {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const indices = new Uint32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  shuffleInPlace(indices, mulberry32(seed));
  return indices;
}

/** Shuffles `values` in place with the given random source (Fisher–Yates). */
export function shuffleInPlace(values: Uint32Array | number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = values[i] as number;
    values[i] = values[j] as number;
    values[j] = a;
  }
}
