import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { toCsv } from '../../shared/csv';
import { hyperparamFlags } from '../../shared/hyperparams';
import { sweepLabel, type SweepDetail, type SweepJob, type SweepKey } from '../../shared/sweep';
import type { ChartTheme } from './theme';

/**
 * Pure builders for the sweep view: the metric-against-hyperparameter chart,
 * the parallel coordinates, the figure grid's layout, the best run and the
 * CSV table. Unit-tested without a DOM.
 */

export type SweepMetric = 'loss' | 'recon' | 'kl';
export const sweepMetricLabels: Record<SweepMetric, string> = {
  loss: 'test loss',
  recon: 'test reconstruction',
  kl: 'test KL',
};

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function metricOf(job: SweepJob, metric: SweepMetric): number | null {
  return job.status === 'completed' ? (job.run?.lastTest?.[metric] ?? null) : null;
}

/** The completed job with the lowest value of the metric, or null. */
export function bestJob(jobs: readonly SweepJob[], metric: SweepMetric): SweepJob | null {
  let best: SweepJob | null = null;
  for (const job of jobs) {
    const v = metricOf(job, metric);
    if (v !== null && (best === null || v < metricOf(best, metric)!)) best = job;
  }
  return best;
}

/** The sorted distinct values a key takes over the jobs. */
export function keyValues(jobs: readonly SweepJob[], key: SweepKey): number[] {
  return [...new Set(jobs.map((j) => j.values[key]).filter((v): v is number => v !== undefined))].sort(
    (a, b) => a - b,
  );
}

export interface MetricSeries {
  label: string;
  points: { x: number; y: number }[];
}

/** One line per value of `group` (or one line), the metric of completed runs against `x`. */
export function sweepMetricSeries(
  jobs: readonly SweepJob[],
  metric: SweepMetric,
  x: SweepKey,
  group: SweepKey | null,
): MetricSeries[] {
  const groups = group ? keyValues(jobs, group) : [null];
  return groups.map((g) => {
    const points = jobs
      .filter((j) => g === null || j.values[group!] === g)
      .map((j) => ({ x: j.values[x], y: metricOf(j, metric) }))
      .filter((p): p is { x: number; y: number } => p.x !== undefined && p.y !== null)
      .sort((a, b) => a.x - b.x);
    return { label: g === null ? sweepMetricLabels[metric] : `${sweepLabel(group!)} = ${g}`, points };
  });
}

export function buildSweepChartConfig(input: {
  series: MetricSeries[];
  metric: SweepMetric;
  x: SweepKey;
  logX: boolean;
  theme: ChartTheme;
}): ChartConfiguration<'line', { x: number; y: number }[]> {
  const { theme } = input;
  const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = input.series.map((s, i) => ({
    label: s.label,
    data: input.logX ? s.points.filter((p) => p.x > 0) : s.points,
    borderColor: palette[i % palette.length],
    backgroundColor: palette[i % palette.length],
    borderWidth: 2,
    pointRadius: 3.5,
    parsing: false,
    tension: 0,
  }));
  return {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { legend: { position: 'top', labels: { color: theme.text, boxWidth: 18, boxHeight: 2 } } },
      scales: {
        x: {
          type: input.logX ? 'logarithmic' : 'linear',
          title: { display: true, text: sweepLabel(input.x), color: theme.muted },
          ticks: { color: theme.muted },
          grid: { color: theme.grid },
        },
        y: {
          type: 'linear',
          title: { display: true, text: sweepMetricLabels[input.metric], color: theme.muted },
          ticks: { color: theme.muted },
          grid: { color: theme.grid },
        },
      },
    },
  };
}

export interface ParallelAxis {
  label: string;
  min: number;
  max: number;
  log: boolean;
}

/** Axes (each swept key, then the metric) and one polyline per completed run, each value in [0, 1]. */
export function parallelCoordinates(
  sweep: Pick<SweepDetail, 'keys' | 'jobs'>,
  metric: SweepMetric,
): { axes: ParallelAxis[]; lines: { jobId: number; ys: number[] }[] } {
  const done = sweep.jobs.filter((j) => metricOf(j, metric) !== null);
  const columns: { label: string; value: (j: SweepJob) => number; log: boolean }[] = [
    ...sweep.keys.map((k) => ({
      label: sweepLabel(k),
      value: (j: SweepJob) => j.values[k] ?? 0,
      log: k === 'learningRate',
    })),
    { label: sweepMetricLabels[metric], value: (j: SweepJob) => metricOf(j, metric)!, log: false },
  ];
  const axes = columns.map((c) => {
    const vs = done.map(c.value);
    return {
      label: c.label,
      min: vs.length ? Math.min(...vs) : 0,
      max: vs.length ? Math.max(...vs) : 1,
      log: c.log && vs.every((v) => v > 0),
    };
  });
  const scale = (a: ParallelAxis, v: number) => {
    const f = a.log ? Math.log : (n: number) => n;
    const span = f(a.max) - f(a.min);
    return span === 0 ? 0.5 : (f(v) - f(a.min)) / span;
  };
  return {
    axes,
    lines: done.map((j) => ({ jobId: j.id, ys: columns.map((c, i) => scale(axes[i]!, c.value(j))) })),
  };
}

/**
 * The figure grid: columns are the values of the last swept key, rows the
 * combinations of the others (one row when one key is swept).
 */
export function figureGridLayout(sweep: Pick<SweepDetail, 'keys' | 'jobs'>): {
  colKey: SweepKey | null;
  cols: number[];
  rows: { label: string; cells: (SweepJob | null)[] }[];
} {
  const colKey = sweep.keys[sweep.keys.length - 1] ?? null;
  const rowKeys = sweep.keys.slice(0, -1);
  const cols = colKey ? keyValues(sweep.jobs, colKey) : [];
  const rowLabel = (j: SweepJob) => rowKeys.map((k) => `${hyperparamFlags[k]} ${j.values[k]}`).join(', ');
  const labels: string[] = [];
  for (const j of sweep.jobs) if (!labels.includes(rowLabel(j))) labels.push(rowLabel(j));
  return {
    colKey,
    cols,
    rows: labels.map((label) => ({
      label,
      cells: colKey
        ? cols.map((c) => sweep.jobs.find((j) => rowLabel(j) === label && j.values[colKey] === c) ?? null)
        : sweep.jobs.filter((j) => rowLabel(j) === label),
    })),
  };
}

/** The sweep's table as CSV: swept values, status, epochs and final test losses, one row per run. */
export function sweepCsv(sweep: Pick<SweepDetail, 'keys' | 'jobs'>): string {
  const header = [
    'job',
    ...sweep.keys.map((k) => hyperparamFlags[k]),
    'status',
    'run_id',
    'epochs',
    'test_loss',
    'test_recon',
    'test_kl',
  ];
  const rows = sweep.jobs.map((j) => [
    j.id,
    ...sweep.keys.map((k) => j.values[k] ?? ''),
    j.status,
    j.runId ?? '',
    j.run?.epochsDone ?? 0,
    j.run?.lastTest?.loss ?? '',
    j.run?.lastTest?.recon ?? '',
    j.run?.lastTest?.kl ?? '',
  ]);
  return toCsv(header, rows);
}

/** Seconds left: the mean duration of the runs that ended, times the runs left; null before one ended. */
export function sweepEta(sweep: Pick<SweepDetail, 'jobs' | 'total' | 'done'>): number | null {
  const durations = sweep.jobs
    .map((j) =>
      j.run?.startedAt && j.run.finishedAt
        ? (Date.parse(j.run.finishedAt) - Date.parse(j.run.startedAt)) / 1000
        : null,
    )
    .filter((d): d is number => d !== null && d >= 0 && sweep.jobs.length > 0);
  if (durations.length === 0) return null;
  return (durations.reduce((a, b) => a + b, 0) / durations.length) * (sweep.total - sweep.done);
}
