import { describe, expect, it } from 'vitest';
import { buildCompareSeries } from '../../../src-renderer/charts/compare-chart';
import { buildKlChartConfig, inactiveDims } from '../../../src-renderer/charts/kl-chart';
import { buildLossChartConfig, legendItems } from '../../../src-renderer/charts/loss-chart';
import {
  buildLossSeries,
  defaultLossChartOptions,
  progressToBatchPoint,
  type BatchPoint,
  type LossChartOptions,
} from '../../../src-renderer/charts/loss-series';
import { smoothSeries } from '../../../src-renderer/charts/smoothing';
import { lightChartTheme } from '../../../src-renderer/charts/theme';
import type { RunComparison } from '../../../shared/contract';
import type { BatchProgress } from '../../../shared/run';
import { fakeEpoch } from './fixtures';

const options = (over: Partial<LossChartOptions> = {}): LossChartOptions => ({
  ...defaultLossChartOptions,
  ...over,
});

describe('smoothing', () => {
  it('is the identity at weight 0', () => {
    expect(smoothSeries([3, 1, 2], 0)).toEqual([3, 1, 2]);
  });

  it('is debiased: it starts at the first value and keeps a constant constant', () => {
    const out = smoothSeries([5, 5, 5, 5], 0.9);
    for (const v of out) expect(v).toBeCloseTo(5, 10);
    expect(smoothSeries([10, 0], 0.5)[0]).toBeCloseTo(10);
    // Second value: (0.5·(0.5·10) + 0.5·0) / (1 − 0.25) = 2.5 / 0.75.
    expect(smoothSeries([10, 0], 0.5)[1]).toBeCloseTo(10 / 3);
  });

  it('passes non-finite values through without disturbing the average', () => {
    const out = smoothSeries([4, Number.NaN, 4], 0.6);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(4);
  });
});

describe('batch points from progress events', () => {
  const event = (epoch: number, step: number, loss: number): BatchProgress => ({
    runId: 'r',
    epoch,
    step,
    stepsPerEpoch: 100,
    train: { loss, recon: loss - 5, kl: 5 },
    samplesPerSecond: 1000,
  });

  it('recovers the mean of the batches between two running means', () => {
    // Steps 1–10 average 200; steps 11–20 average 100 → running mean at 20 is 150.
    const point = progressToBatchPoint(event(1, 10, 200), event(1, 20, 150));
    expect(point.step).toBe(20);
    expect(point.loss).toBeCloseTo(100);
    expect(point.kl).toBeCloseTo(5);
  });

  it('starts afresh at a new epoch, counting global steps', () => {
    const point = progressToBatchPoint(event(1, 100, 150), event(2, 5, 140));
    expect(point).toEqual({ step: 105, loss: 140, recon: 135, kl: 5 });
  });
});

describe('loss series', () => {
  const epochs = [1, 2, 3].map(fakeEpoch);
  const batches: BatchPoint[] = [
    { step: 50, loss: 300, recon: 290, kl: 10 },
    { step: 150, loss: 200, recon: 192, kl: 8 },
    { step: 250, loss: 180, recon: 173, kl: 7 },
  ];

  it('plots train and test per epoch for each term, KL on its own axis', () => {
    const series = buildLossSeries({ epochs, batches, stepsPerEpoch: 100, options: options() });
    expect(series.map((s) => s.id)).toEqual([
      'train-loss',
      'test-loss',
      'train-recon',
      'test-recon',
      'train-kl',
      'test-kl',
    ]);
    expect(series[1]?.points).toEqual(epochs.map((e) => ({ x: e.epoch, y: e.test.loss })));
    expect(series.find((s) => s.id === 'test-kl')?.axis).toBe('y1');
    expect(series.find((s) => s.id === 'test-loss')?.axis).toBe('y');
  });

  it('keeps KL on the main axis when it is shown alone', () => {
    const series = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: 100,
      options: options({ terms: ['kl'] }),
    });
    expect(series.every((s) => s.axis === 'y')).toBe(true);
  });

  it('hides epoch 1 as the notebook did', () => {
    const series = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: 100,
      options: options({ hideFirstEpoch: true, terms: ['loss'] }),
    });
    expect(series[0]?.points.map((p) => p.x)).toEqual([2, 3]);
    const perBatch = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: 100,
      options: options({ mode: 'batch', hideFirstEpoch: true, terms: ['loss'] }),
    });
    expect(perBatch[0]?.points.map((p) => p.x)).toEqual([1.5, 2.5]);
  });

  it('places batches in fractional epochs with test points at epoch ends', () => {
    const series = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: 100,
      options: options({ mode: 'batch', terms: ['loss'] }),
    });
    expect(series.map((s) => s.id)).toEqual(['train-loss', 'test-loss']);
    expect(series[0]?.points[0]).toEqual({ x: 0.5, y: 300 });
    expect(series[1]?.points.map((p) => p.x)).toEqual([1, 2, 3]);
  });

  it('counts steps when steps per epoch are unknown, without test points', () => {
    const series = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: null,
      options: options({ mode: 'batch', terms: ['loss'] }),
    });
    expect(series.map((s) => s.id)).toEqual(['train-loss']);
    expect(series[0]?.points[0]?.x).toBe(50);
  });

  it('drops values a log scale cannot show', () => {
    const zeroKl = [{ ...fakeEpoch(1), test: { loss: 100, recon: 100, kl: 0 } }];
    const series = buildLossSeries({
      epochs: zeroKl,
      batches: [],
      stepsPerEpoch: 1,
      options: options({ scale: 'log', terms: ['kl'], splits: ['test'] }),
    });
    expect(series[0]?.points).toEqual([]);
  });

  it('smooths when asked', () => {
    const series = buildLossSeries({
      epochs,
      batches,
      stepsPerEpoch: 100,
      options: options({ mode: 'batch', smoothing: 0.5, terms: ['loss'], splits: ['train'] }),
    });
    expect(series[0]?.points[0]?.y).toBeCloseTo(300);
    expect(series[0]?.points[1]?.y).toBeLessThan(300);
    expect(series[0]?.points[1]?.y).toBeGreaterThan(200);
  });
});

describe('loss chart configuration', () => {
  const series = buildLossSeries({
    epochs: [1, 2].map(fakeEpoch),
    batches: [],
    stepsPerEpoch: 10,
    options: options(),
  });

  it('draws test dashed, KL on a right axis, no animation', () => {
    const config = buildLossChartConfig({
      series,
      options: { mode: 'epoch', scale: 'linear' },
      stepsPerEpoch: 10,
      theme: lightChartTheme,
    });
    expect(config.type).toBe('line');
    expect(config.options?.animation).toBe(false);
    const test = config.data.datasets.find((d) => d.label === 'test loss');
    const train = config.data.datasets.find((d) => d.label === 'train loss');
    expect(test?.borderDash).toEqual([6, 4]);
    expect(train?.borderDash).toBeUndefined();
    expect(config.options?.scales?.y1).toBeDefined();
    expect(config.data.datasets.find((d) => d.label === 'test KL')?.yAxisID).toBe('y1');
  });

  it('takes its legend from the datasets, hidden ones struck out', () => {
    const config = buildLossChartConfig({
      series,
      options: { mode: 'epoch', scale: 'linear' },
      stepsPerEpoch: 10,
      theme: lightChartTheme,
    });
    const chart = { data: config.data, isDatasetVisible: (i: number) => i !== 1 };
    const items = legendItems(chart, '#123456');
    expect(items.map((item) => item.text)).toEqual(config.data.datasets.map((d) => d.label));
    const testLoss = items.find((item) => item.text === 'test loss');
    expect(testLoss).toMatchObject({
      strokeStyle: '#1f77b4',
      lineDash: [6, 4],
      lineWidth: 2,
      fontColor: '#123456',
    });
    expect(items.map((item) => item.hidden)).toEqual(items.map((_, i) => i === 1));
    expect(items.map((item) => item.datasetIndex)).toEqual(items.map((_, i) => i));
    // The options name it, so the drawn legend is this one.
    const labels = config.options?.plugins?.legend?.labels;
    expect(typeof labels?.generateLabels).toBe('function');
  });

  it('switches both value axes to a log scale', () => {
    const config = buildLossChartConfig({
      series,
      options: { mode: 'epoch', scale: 'log' },
      stepsPerEpoch: 10,
      theme: lightChartTheme,
    });
    expect(config.options?.scales?.y?.type).toBe('logarithmic');
    expect(config.options?.scales?.y1?.type).toBe('logarithmic');
  });

  it('turns on decimation for long per-batch curves', () => {
    const many = [{ ...series[0]!, points: Array.from({ length: 5000 }, (_, i) => ({ x: i, y: 1 })) }];
    const config = buildLossChartConfig({
      series: many,
      options: { mode: 'batch', scale: 'linear' },
      stepsPerEpoch: null,
      theme: lightChartTheme,
    });
    expect(config.options?.plugins?.decimation?.enabled).toBe(true);
    expect(config.options?.scales?.x?.title).toMatchObject({ text: 'step' });
  });
});

describe('KL per dimension', () => {
  it('flags dimensions that carry almost nothing', () => {
    expect(inactiveDims([3, 0.001, 0.5, 0.01])).toEqual([1, 3]);
    const config = buildKlChartConfig([3, 0.001], lightChartTheme);
    expect(config.data.labels).toEqual(['z0', 'z1']);
    const colours = config.data.datasets[0]?.backgroundColor as string[];
    expect(colours[0]).not.toBe(colours[1]);
  });
});

describe('compare series', () => {
  it('gives one line per run and split, skipping epochs a run lacks', () => {
    const [e1, e2, e3] = [1, 2, 3].map((e) => fakeEpoch(e));
    const comparison: RunComparison = {
      runs: [],
      epochs: [1, 2, 3],
      series: [
        { runId: 'a', train: [e1!.train, e2!.train, e3!.train], test: [e1!.test, e2!.test, e3!.test] },
        { runId: 'b', train: [e1!.train, e2!.train, null], test: [e1!.test, e2!.test, null] },
      ],
      table: [],
    };
    const series = buildCompareSeries(comparison, { term: 'loss', splits: ['test'], hideFirstEpoch: true });
    expect(series).toHaveLength(2);
    expect(series[0]?.points.map((p) => p.x)).toEqual([2, 3]);
    expect(series[1]?.points.map((p) => p.x)).toEqual([2]);
    expect(series[0]?.color).not.toBe(series[1]?.color);
  });
});
