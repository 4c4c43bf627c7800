import { describe, expect, it } from 'vitest';
import { linspace, manifoldAxis, manifoldCells } from '../../../shared/manifold';

describe('linspace', () => {
  it('includes both ends', () => {
    expect(linspace(-2, 2, 5)).toEqual([-2, -1, 0, 1, 2]);
    expect(linspace(0, 1, 1)).toEqual([0]);
  });

  it('ends exactly on stop, whatever the rounding of the step', () => {
    const values = linspace(-2, 2, 20);
    expect(values[19]).toBe(2);
    // numpy: start + i·step, with step = 4/19.
    expect(values[1]).toBe(-2 + 4 / 19);
  });
});

describe('manifold layout', () => {
  it('sweeps [−range, range] on each axis; a 1×1 manifold is the centre', () => {
    expect(manifoldAxis(3, 2)).toEqual([-2, 0, 2]);
    expect(manifoldAxis(1, 2)).toEqual([0]);
  });

  it('is row-major with row 0 at the top (largest y) and x growing left to right', () => {
    expect(manifoldCells(3, 2)).toEqual([
      [-2, 2],
      [0, 2],
      [2, 2],
      [-2, 0],
      [0, 0],
      [2, 0],
      [-2, -2],
      [0, -2],
      [2, -2],
    ]);
    expect(manifoldCells(1, 4)).toEqual([[0, 0]]);
  });
});
