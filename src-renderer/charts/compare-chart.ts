import type { ChartConfiguration, ChartDataset } from 'chart.js';
import type { RunComparison } from '../../shared/contract';
import { seriesColor } from '../figures/palette';
import type { LossSplit, LossTerm, XY } from './loss-series';
import { termLabels } from './loss-series';
import type { ChartTheme } from './theme';

/** One line per run (and per split) of one loss term, from `runs:compare`. */
export function buildCompareSeries(
  comparison: RunComparison,
  options: { term: LossTerm; splits: LossSplit[]; hideFirstEpoch: boolean },
): { runId: string; label: string; split: LossSplit; color: string; points: XY[] }[] {
  const out: { runId: string; label: string; split: LossSplit; color: string; points: XY[] }[] = [];
  comparison.series.forEach((s, index) => {
    const run = comparison.runs.find((r) => r.id === s.runId);
    const name = run?.name ?? s.runId;
    for (const split of options.splits) {
      const points: XY[] = [];
      s[split].forEach((terms, i) => {
        const epoch = comparison.epochs[i] ?? i + 1;
        if (!terms || (options.hideFirstEpoch && epoch === 1)) return;
        points.push({ x: epoch, y: terms[options.term] });
      });
      out.push({ runId: s.runId, label: `${name} · ${split}`, split, color: seriesColor(index), points });
    }
  });
  return out;
}

/** Overlaid curves of several runs. */
export function buildCompareChartConfig(input: {
  series: ReturnType<typeof buildCompareSeries>;
  term: LossTerm;
  scale: 'linear' | 'log';
  theme: ChartTheme;
}): ChartConfiguration<'line', XY[]> {
  const { theme } = input;
  const datasets: ChartDataset<'line', XY[]>[] = input.series.map((s) => ({
    label: s.label,
    data: input.scale === 'log' ? s.points.filter((p) => p.y > 0) : s.points,
    borderColor: s.color,
    backgroundColor: s.color,
    borderDash: s.split === 'test' ? [6, 4] : undefined,
    borderWidth: 2,
    pointRadius: s.points.length > 60 ? 0 : 2.5,
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
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: { legend: { position: 'top', labels: { color: theme.text, boxWidth: 18, boxHeight: 2 } } },
      scales: {
        x: {
          type: 'linear',
          title: { display: true, text: 'epoch', color: theme.muted },
          ticks: { color: theme.muted, precision: 0 },
          grid: { color: theme.grid },
        },
        y: {
          type: input.scale === 'log' ? 'logarithmic' : 'linear',
          title: { display: true, text: termLabels[input.term], color: theme.muted },
          ticks: { color: theme.muted },
          grid: { color: theme.grid },
        },
      },
    },
  };
}
