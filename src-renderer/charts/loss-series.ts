import type { BatchProgress, EpochMetrics, LossTerms } from '../../shared/run';
import { smoothSeries } from './smoothing';

export type LossTerm = keyof LossTerms;
export type LossSplit = 'train' | 'test';

export const lossTerms: readonly LossTerm[] = ['loss', 'recon', 'kl'];
export const termLabels: Record<LossTerm, string> = { loss: 'loss', recon: 'reconstruction', kl: 'KL' };

/** What the loss chart shows; the controls above the chart edit this. */
export interface LossChartOptions {
  /** One point per epoch, or the per-batch training curve (with test per epoch on top). */
  mode: 'epoch' | 'batch';
  terms: LossTerm[];
  splits: LossSplit[];
  /** EMA weight in [0, 1); 0 is off. */
  smoothing: number;
  scale: 'linear' | 'log';
  /** The notebook skipped epoch 1: its loss dwarfs the rest. */
  hideFirstEpoch: boolean;
}

export const defaultLossChartOptions: LossChartOptions = {
  mode: 'epoch',
  terms: ['loss', 'recon', 'kl'],
  splits: ['train', 'test'],
  smoothing: 0,
  scale: 'linear',
  hideFirstEpoch: false,
};

/** Training loss at a global step (1-based over the whole run). */
export interface BatchPoint {
  step: number;
  loss: number;
  recon: number;
  kl: number;
}

export interface XY {
  x: number;
  y: number;
}

/** One line of the chart. */
export interface LossSeries {
  id: string;
  label: string;
  term: LossTerm;
  split: LossSplit;
  points: XY[];
  /** KL is a few nats against a reconstruction of ~150: it gets its own axis. */
  axis: 'y' | 'y1';
}

/** `runs:get`'s `[step, loss, recon, kl]` rows as points. */
export function batchRowsToPoints(rows: readonly [number, number, number, number][]): BatchPoint[] {
  return rows.map(([step, loss, recon, kl]) => ({ step, loss, recon, kl }));
}

/**
 * The training loss of the batches between two progress events. Events carry
 * the running mean of the epoch so far, so the mean of steps (s₁, s₂] is
 * (m₂·s₂ − m₁·s₁) / (s₂ − s₁) — exact, whatever the throttling dropped.
 */
export function progressToBatchPoint(previous: BatchProgress | null, next: BatchProgress): BatchPoint {
  const step = (next.epoch - 1) * next.stepsPerEpoch + next.step;
  const sameEpoch =
    previous !== null &&
    previous.runId === next.runId &&
    previous.epoch === next.epoch &&
    previous.step < next.step;
  if (!sameEpoch) return { step, ...next.train };
  const span = next.step - previous.step;
  const window = (term: LossTerm) =>
    (next.train[term] * next.step - previous.train[term] * previous.step) / span;
  return { step, loss: window('loss'), recon: window('recon'), kl: window('kl') };
}

function applySmoothing(points: XY[], weight: number): XY[] {
  if (weight <= 0) return points;
  const ys = smoothSeries(
    points.map((p) => p.y),
    weight,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i] as number }));
}

/** Builds the chart's lines from the run's epochs and batches under the chosen options. */
export function buildLossSeries(input: {
  epochs: readonly EpochMetrics[];
  batches: readonly BatchPoint[];
  /** Converts steps to fractional epochs in batch mode; unknown → the x axis counts steps. */
  stepsPerEpoch: number | null;
  options: LossChartOptions;
}): LossSeries[] {
  const { options, stepsPerEpoch } = input;
  const twoAxes = options.terms.includes('kl') && options.terms.some((t) => t !== 'kl');
  const axisOf = (term: LossTerm): 'y' | 'y1' => (twoAxes && term === 'kl' ? 'y1' : 'y');
  const usable = (p: XY) => Number.isFinite(p.y) && (options.scale === 'linear' || p.y > 0);
  const series: LossSeries[] = [];
  const epochs = options.hideFirstEpoch ? input.epochs.filter((e) => e.epoch > 1) : input.epochs;
  const perEpoch = (split: LossSplit, term: LossTerm): XY[] =>
    epochs.map((e) => ({ x: e.epoch, y: e[split][term] }));

  if (options.mode === 'batch') {
    const toX = (step: number) => (stepsPerEpoch ? step / stepsPerEpoch : step);
    const firstEpochEnd = stepsPerEpoch ?? 0;
    const batches =
      options.hideFirstEpoch && stepsPerEpoch
        ? input.batches.filter((b) => b.step > firstEpochEnd)
        : input.batches;
    for (const term of options.terms) {
      if (options.splits.includes('train')) {
        const points = applySmoothing(
          batches.map((b) => ({ x: toX(b.step), y: b[term] })),
          options.smoothing,
        ).filter(usable);
        series.push({
          id: `train-${term}`,
          label: `train ${termLabels[term]}`,
          term,
          split: 'train',
          points,
          axis: axisOf(term),
        });
      }
      // Test loss exists per epoch only; placed at each epoch's end when steps map to epochs.
      if (options.splits.includes('test') && stepsPerEpoch) {
        const points = perEpoch('test', term).filter(usable);
        series.push({
          id: `test-${term}`,
          label: `test ${termLabels[term]}`,
          term,
          split: 'test',
          points,
          axis: axisOf(term),
        });
      }
    }
    return series;
  }
  for (const term of options.terms) {
    for (const split of options.splits) {
      const points = applySmoothing(perEpoch(split, term), options.smoothing).filter(usable);
      series.push({
        id: `${split}-${term}`,
        label: `${split} ${termLabels[term]}`,
        term,
        split,
        points,
        axis: axisOf(term),
      });
    }
  }
  return series;
}
