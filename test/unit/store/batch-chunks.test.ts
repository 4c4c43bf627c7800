import { describe, expect, it } from 'vitest';
import { decodeChunks, encodeChunks, thinSeries } from '../../../src-main/store/batch-chunks';
import type { BatchLoss } from '../../../src-main/store';

const row = (step: number, epoch: number, loss = step): BatchLoss => ({
  step,
  epoch,
  loss,
  recon: loss / 2,
  kl: 1,
});

function roundTrip(rows: BatchLoss[]) {
  return decodeChunks(encodeChunks(rows).map((c) => ({ ...c })));
}

describe('batch chunks', () => {
  it('splits rows into one chunk per epoch, in order', () => {
    const chunks = encodeChunks([row(1, 1), row(2, 1), row(3, 2), row(4, 2), row(5, 2)]);
    expect(chunks.map((c) => [c.firstStep, c.epoch, c.count, c.loss.length])).toEqual([
      [1, 1, 2, 8],
      [3, 2, 3, 12],
    ]);
  });

  it('decodes back every row exactly (float32 values)', () => {
    const rows = [row(1, 1, 0.5), row(2, 1, Number.NaN), row(3, 2, Number.POSITIVE_INFINITY)];
    const s = roundTrip(rows);
    expect(Array.from(s.steps)).toEqual([1, 2, 3]);
    expect(Array.from(s.epochs)).toEqual([1, 1, 2]);
    expect(Array.from(s.loss)).toEqual([0.5, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(Array.from(s.recon)).toEqual([0.25, Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it('lets a later chunk win where steps repeat, and sorts by step', () => {
    const first = encodeChunks([row(1, 1), row(2, 1), row(3, 1)]);
    const resent = encodeChunks([row(2, 1, 20), row(3, 1, 30)]);
    const s = decodeChunks([...first, ...resent]);
    expect(Array.from(s.steps)).toEqual([1, 2, 3]);
    expect(Array.from(s.loss)).toEqual([1, 20, 30]);
  });

  it('returns every point when few, and bucket means otherwise', () => {
    const s = roundTrip(Array.from({ length: 10 }, (_, i) => row(i + 1, 1)));
    expect(thinSeries(s, 10)).toHaveLength(10);
    // 10 steps into at most 4 points: buckets of ceil(10 / 4) = 3 steps.
    expect(thinSeries(s, 4)).toEqual([
      [2, 2, 1, 1],
      [5, 5, 2.5, 1],
      [8, 8, 4, 1],
      [10, 10, 5, 1],
    ]);
  });

  it('keeps NaN visible in a thinned bucket', () => {
    const rows = Array.from({ length: 6 }, (_, i) => row(i + 1, 1, i === 4 ? Number.NaN : 1));
    expect(thinSeries(roundTrip(rows), 2).map((p) => p[1])).toEqual([1, Number.NaN]);
  });
});
