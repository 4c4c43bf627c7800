import type { Chart, ChartConfiguration } from 'chart.js';
import { whenIdle } from '../lib/frame';
import { buildKlChartConfig } from './kl-chart';
import { buildLossChartConfig } from './loss-chart';
import { buildLossSeries, defaultLossChartOptions, type BatchPoint } from './loss-series';
import { registerCharts } from './register';
import { lightChartTheme } from './theme';

/** Data updates each warming chart goes through (a run's first seconds make as many). */
const warmUpdates = 8;

function lossConfig(steps: number): ChartConfiguration {
  const batches: BatchPoint[] = Array.from({ length: steps }, (_, i) => ({
    step: i + 1,
    loss: 200 / (i + 1),
    recon: 190 / (i + 1),
    kl: 10,
  }));
  return buildLossChartConfig({
    series: buildLossSeries({
      epochs: [],
      batches,
      stepsPerEpoch: 4,
      options: { ...defaultLossChartOptions, mode: 'batch' },
    }),
    options: { mode: 'batch', scale: 'linear' },
    stepsPerEpoch: 4,
    theme: lightChartTheme,
  });
}

/**
 * Draws and throws away, off screen and one step per idle moment, a chart of
 * each kind a run's page shows, updated a few times as a training run updates
 * it. The first chart the page makes, and its first updates, cost several
 * times the later ones (V8 compiles Chart.js's code as it is first used):
 * paid while the app is idle, not in the frames of a training run.
 */
export function warmCharts(): void {
  const kinds: ((round: number) => ChartConfiguration)[] = [
    (round) => lossConfig(4 + round),
    (round) => buildKlChartConfig([3, 0.01 * round], lightChartTheme),
  ];
  // As useChart does: axes first, data in later steps; each step in its own idle moment.
  const steps = kinds.flatMap((configAt) => {
    let chart: Chart | null = null;
    const config = configAt(0);
    return [
      () => {
        const ctx = globalThis.document?.createElement('canvas').getContext('2d');
        if (!ctx) return;
        // A canvas outside the page has no size to follow: a fixed one.
        ctx.canvas.width = 600;
        ctx.canvas.height = 300;
        const options = { ...config.options, responsive: false };
        chart = new (registerCharts())(ctx, { ...config, data: { ...config.data, datasets: [] }, options });
      },
      ...Array.from({ length: warmUpdates }, (_, round) => () => {
        if (!chart) return;
        chart.data = configAt(round + 1).data;
        chart.update('none');
      }),
      () => chart?.destroy(),
    ];
  });
  let next = 0;
  const step = (): void => {
    steps[next++]?.();
    if (next < steps.length) whenIdle(step);
  };
  whenIdle(step);
}
