import { describe, expect, it } from 'vitest';
import { mulberry32, shuffledIndices } from '../../../src-main/datasets/random';

describe('shuffledIndices', () => {
  it('is a permutation fixed by the seed', () => {
    const a = shuffledIndices(100, 3);
    expect(a).toBeInstanceOf(Uint32Array);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledIndices(100, 3))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(100, 4))).not.toEqual(Array.from(a));
  });

  it('gives exact values on a small input', () => {
    // Fisher–Yates from the end with mulberry32(1): j = floor(r·(i+1)).
    const r = mulberry32(1);
    const expected = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [expected[i], expected[j]] = [expected[j] as number, expected[i] as number];
    }
    expect(Array.from(shuffledIndices(4, 1))).toEqual(expected);
    // By hand: r = 0.627, 0.0027, 0.527 → swaps (3,2), (2,0), (1,1).
    expect(Array.from(shuffledIndices(4, 1))).toEqual([3, 1, 0, 2]);
  });

  it('handles 0 and 1', () => {
    expect(shuffledIndices(0, 1).length).toBe(0);
    expect(Array.from(shuffledIndices(1, 1))).toEqual([0]);
  });
});
