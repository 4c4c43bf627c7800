import type { Chart, ChartConfiguration } from 'chart.js';
import { whenIdle } from '../lib/frame';
import { buildKlChartConfig } from './kl-chart';
import { buildLossChartConfig } from './loss-chart';
import { buildLossSeries, defaultLossChartOptions, type BatchPoint } from './loss-series';
import { registerCharts } from './register';
import { lightChartTheme } from './theme';

/**
 * Draws and throws away, off screen and one per idle moment, a chart of each
 * kind a run's page shows. The first chart the page makes costs several times
 * the next one (V8 compiles Chart.js's code on first use): paid while the app
 * is idle, not in the frames that open a training run.
 */
export function warmCharts(): void {
  const batches: BatchPoint[] = [1, 2, 3, 4].map((step) => ({
    step,
    loss: 200 / step,
    recon: 190 / step,
    kl: 10,
  }));
  const lossConfig = buildLossChartConfig({
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
  const configs: ChartConfiguration[] = [lossConfig, buildKlChartConfig([3, 0.01], lightChartTheme)];
  // As useChart does: axes first, data in a later step; each step in its own idle moment.
  const steps = configs.flatMap((config) => {
    let chart: Chart | null = null;
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
      () => {
        if (!chart) return;
        chart.data = config.data;
        chart.update('none');
        chart.destroy();
      },
    ];
  });
  let next = 0;
  const step = (): void => {
    steps[next++]?.();
    if (next < steps.length) whenIdle(step);
  };
  whenIdle(step);
}
