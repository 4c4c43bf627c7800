import type { Chart, ChartConfiguration, ChartDataset, LegendItem } from 'chart.js';
import type { LossChartOptions, LossSeries, XY } from './loss-series';
import { termColors, type ChartTheme } from './theme';

export type LineConfig = ChartConfiguration<'line', XY[]>;

function axisTitle(text: string, theme: ChartTheme) {
  return { display: true, text, color: theme.muted };
}

/**
 * The legend's entries read straight from the datasets. Chart.js's own
 * generateLabels resolves every dataset's options once more on each update,
 * which is a good part of an update while a run trains (four a second).
 */
export function legendItems(chart: Pick<Chart, 'data' | 'isDatasetVisible'>, color: string): LegendItem[] {
  return chart.data.datasets.map((d, i) => {
    const line = d as ChartDataset<'line'>;
    return {
      text: line.label ?? '',
      fillStyle: line.backgroundColor as string,
      strokeStyle: line.borderColor as string,
      lineWidth: typeof line.borderWidth === 'number' ? line.borderWidth : 1,
      lineDash: Array.isArray(line.borderDash) ? (line.borderDash as number[]) : [],
      fontColor: color,
      hidden: !chart.isDatasetVisible(i),
      datasetIndex: i,
    };
  });
}

/** The Chart.js configuration of the loss chart: pure, so it is tested without a canvas. */
export function buildLossChartConfig(input: {
  series: LossSeries[];
  options: Pick<LossChartOptions, 'mode' | 'scale'>;
  stepsPerEpoch: number | null;
  theme: ChartTheme;
}): LineConfig {
  const { series, theme, options } = input;
  const many = series.some((s) => s.points.length > 400);
  const datasets: ChartDataset<'line', XY[]>[] = series.map((s) => {
    const color = termColors[s.term];
    const perBatch = options.mode === 'batch' && s.split === 'train';
    return {
      label: s.label,
      data: s.points,
      yAxisID: s.axis,
      borderColor: color,
      backgroundColor: color,
      borderWidth: perBatch ? 1.25 : 2,
      borderDash: s.split === 'test' ? [6, 4] : undefined,
      pointRadius: perBatch || s.points.length > 60 ? 0 : 2.5,
      pointHoverRadius: 4,
      tension: 0,
      spanGaps: true,
      parsing: false,
      normalized: true,
    };
  });
  const hasY1 = series.some((s) => s.axis === 'y1');
  const scaleType = input.options.scale === 'log' ? 'logarithmic' : 'linear';
  const xTitle = options.mode === 'batch' && !input.stepsPerEpoch ? 'step' : 'epoch';
  return {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: {
          position: 'top',
          labels: {
            color: theme.text,
            boxWidth: 18,
            boxHeight: 2,
            generateLabels: (chart) => legendItems(chart, theme.text),
          },
        },
        tooltip: { enabled: !many },
        decimation: { enabled: many, algorithm: 'lttb', samples: 800 },
      },
      scales: {
        x: {
          type: 'linear',
          title: axisTitle(xTitle, theme),
          // Epoch and step numbers fit level; Chart.js then skips measuring them for a rotation.
          ticks: { color: theme.muted, precision: 0, maxRotation: 0 },
          grid: { color: theme.grid },
        },
        y: {
          type: scaleType,
          title: axisTitle(hasY1 ? 'loss, reconstruction' : 'loss', theme),
          ticks: { color: theme.muted },
          grid: { color: theme.grid },
        },
        ...(hasY1
          ? {
              y1: {
                type: scaleType,
                position: 'right' as const,
                title: axisTitle('KL', theme),
                ticks: { color: termColors.kl },
                grid: { drawOnChartArea: false },
              },
            }
          : {}),
      },
    },
  };
}
