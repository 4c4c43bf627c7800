import { describe, expect, it } from 'vitest';
import { fillBatch } from '../../../src-main/datasets/batch';
import type { DatasetSplit } from '../../../src-main/datasets/types';

// Three images of 2 pixels each.
const split: DatasetSplit = {
  images: Uint8Array.from([0, 255, 51, 102, 204, 1]),
  labels: Uint8Array.from([7, 8, 9]),
  count: 3,
};

describe('fillBatch', () => {
  it('copies the chosen images scaled to [0, 1], with their labels', () => {
    const out = new Float32Array(4).fill(-1);
    const labelsOut = new Int32Array(2);
    const n = fillBatch({ split, indices: [2, 0], out, labelsOut });
    expect(n).toBe(2);
    expect(Array.from(out)).toEqual([Math.fround(204 / 255), Math.fround(1 / 255), 0, 1]);
    expect(Array.from(labelsOut)).toEqual([9, 7]);
  });

  it('takes a window of the indices and stops at their end', () => {
    const out = new Float32Array(6).fill(-1);
    const n = fillBatch({ split, indices: Uint32Array.from([1, 2, 0]), start: 2, out });
    expect(n).toBe(1);
    expect(Array.from(out)).toEqual([0, 1, -1, -1, -1, -1]);
    expect(fillBatch({ split, indices: [1, 2, 0], start: 1, count: 1, out })).toBe(1);
    expect(out[0]).toBe(Math.fround(204 / 255));
  });

  it('refuses an out-of-range index and a too-small buffer', () => {
    expect(() => fillBatch({ split, indices: [3], out: new Float32Array(2) })).toThrow(RangeError);
    expect(() => fillBatch({ split, indices: [0, 1], count: 2, out: new Float32Array(3) })).toThrow(
      RangeError,
    );
  });
});
