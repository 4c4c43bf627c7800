import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';

let registered = false;

/** Registers the Chart.js parts the app uses (tree-shaken: nothing else is bundled). */
export function registerCharts(): typeof Chart {
  if (!registered) {
    Chart.register(
      LineController,
      LineElement,
      PointElement,
      BarController,
      BarElement,
      LinearScale,
      LogarithmicScale,
      CategoryScale,
      Legend,
      Tooltip,
      Decimation,
    );
    // The app's own font, which the figures use too: one font to resolve, not two.
    Chart.defaults.font.family = 'system-ui, sans-serif';
    registered = true;
  }
  return Chart;
}
