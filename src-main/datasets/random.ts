import { mulberry32 } from '../../shared/random';

export { mulberry32 } from '../../shared/random';

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
