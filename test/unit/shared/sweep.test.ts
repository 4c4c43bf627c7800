import { describe, expect, it } from 'vitest';
import { presets } from '../../../shared/hyperparams';
import {
  axisValues,
  expandSweep,
  maxSweepRuns,
  parseAxis,
  rangeValues,
  sweepRunCount,
  SweepSpecError,
  type SweepSpec,
} from '../../../shared/sweep';

const base = presets[0]!.hyperparams;

function spec(overrides: Partial<SweepSpec>): SweepSpec {
  return { base, axes: [], mode: 'grid', ...overrides };
}

describe('parseAxis', () => {
  it('reads a list, a single value and a range', () => {
    expect(parseAxis('beta', '0.5,1,4')).toEqual({ key: 'beta', values: [0.5, 1, 4] });
    expect(parseAxis('latentDim', '8')).toEqual({ key: 'latentDim', values: [8] });
    expect(parseAxis('latentDim', '2:16:4')).toEqual({
      key: 'latentDim',
      range: { from: 2, to: 16, count: 4 },
    });
  });

  it('refuses an empty list, naming the flag', () => {
    expect(() => parseAxis('beta', '')).toThrow(
      '--beta: the list of values is empty; give at least one value.',
    );
    expect(() => parseAxis('beta', ' , ')).toThrow('--beta: the list of values is empty');
  });

  it('refuses a value outside the limits, naming the field and the limit', () => {
    expect(() => parseAxis('beta', '1,200')).toThrow(
      new SweepSpecError('--beta: β (KL weight) must be a number from 0 to 100; 200 is not.'),
    );
    expect(() => parseAxis('latentDim', '2,65')).toThrow(
      '--latent-dim: Latent dimension must be an integer from 1 to 64; 65 is not.',
    );
    expect(() => parseAxis('learningRate', '0:0.1:3')).toThrow(
      '--lr: Learning rate must be a number greater than 0 and at most 1; 0 is not.',
    );
    expect(() => parseAxis('beta', '1,x')).toThrow('--beta: "x" is not a number');
  });
});

describe('ranges', () => {
  it('spreads linearly, and the learning rate on a log scale', () => {
    expect(rangeValues('beta', { from: 0, to: 4, count: 5 })).toEqual([0, 1, 2, 3, 4]);
    expect(rangeValues('learningRate', { from: 1e-4, to: 1e-2, count: 3 })).toEqual([1e-4, 1e-3, 1e-2]);
    // Integers are rounded and repeats dropped.
    expect(rangeValues('latentDim', { from: 1, to: 2, count: 4 })).toEqual([1, 2]);
  });
});

describe('expandSweep', () => {
  it('makes the grid in queue order, the first field outermost', () => {
    const points = expandSweep(spec({ axes: [parseAxis('beta', '0.5,1'), parseAxis('latentDim', '2,4')] }));
    expect(points.map((p) => p.values)).toEqual([
      { beta: 0.5, latentDim: 2 },
      { beta: 0.5, latentDim: 4 },
      { beta: 1, latentDim: 2 },
      { beta: 1, latentDim: 4 },
    ]);
    expect(points[3]!.hyperparams).toEqual({ ...base, beta: 1, latentDim: 4 });
  });

  it('draws random search from the seed, log-uniform for the learning rate', () => {
    const s = spec({
      mode: 'random',
      samples: 20,
      seed: 7,
      axes: [parseAxis('learningRate', '1e-4:1e-2:2'), parseAxis('latentDim', '2,8,16')],
    });
    const a = expandSweep(s);
    expect(a).toHaveLength(20);
    expect(expandSweep(s)).toEqual(a);
    for (const p of a) {
      expect(p.values.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(p.values.learningRate).toBeLessThanOrEqual(1e-2);
      expect([2, 8, 16]).toContain(p.values.latentDim);
    }
    // Log-uniform: about half the draws fall below the geometric middle (1e-3), not ~9%.
    const below = a.filter((p) => p.values.learningRate! < 1e-3).length;
    expect(below).toBeGreaterThan(4);
  });

  it('refuses more runs than the cap, with the count, before expanding', () => {
    const big = spec({
      axes: [parseAxis('latentDim', '1:64:64'), parseAxis('beta', '0:10:11')],
    });
    expect(sweepRunCount(big)).toBe(704);
    expect(() => expandSweep(big)).toThrow(
      `This sweep would queue 704 runs; the most is ${maxSweepRuns}. Use fewer values or random search (--samples).`,
    );
  });

  it('refuses a field given twice and an empty list from the API', () => {
    expect(() => expandSweep(spec({ axes: [parseAxis('beta', '1'), parseAxis('beta', '2')] }))).toThrow(
      '--beta is given twice',
    );
    expect(() => expandSweep(spec({ axes: [{ key: 'beta', values: [] }] }))).toThrow(
      '--beta: the list of values is empty',
    );
    expect(() => expandSweep(spec({ axes: [{ key: 'beta', values: [-1] }] }))).toThrow(
      '--beta: β (KL weight) must be a number from 0 to 100; -1 is not.',
    );
  });

  it('with no axes is one run of the base', () => {
    expect(expandSweep(spec({}))).toEqual([{ hyperparams: base, values: {} }]);
    expect(axisValues({ key: 'beta', values: [1, 1, 2] })).toEqual([1, 2]);
  });
});
