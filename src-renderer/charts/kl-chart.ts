import type { ChartConfiguration } from 'chart.js';
import { termColors, type ChartTheme } from './theme';

/** Below this many nats a latent dimension carries almost nothing: unused, or collapsed onto the prior. */
export const inactiveKl = 0.02;

/** Indices of the latent dimensions whose mean KL is below {@link inactiveKl}. */
export function inactiveDims(klPerDim: readonly number[]): number[] {
  return klPerDim.flatMap((kl, i) => (kl < inactiveKl ? [i] : []));
}

/** Bar chart of the mean KL of each latent dimension; inactive ones greyed. */
export function buildKlChartConfig(
  klPerDim: readonly number[],
  theme: ChartTheme,
): ChartConfiguration<'bar', number[], string> {
  return {
    type: 'bar',
    data: {
      labels: klPerDim.map((_, i) => `z${i}`),
      datasets: [
        {
          label: 'KL per dimension (nats)',
          data: klPerDim.slice(),
          backgroundColor: klPerDim.map((kl) => (kl < inactiveKl ? theme.grid : termColors.kl)),
          borderColor: klPerDim.map((kl) => (kl < inactiveKl ? theme.muted : termColors.kl)),
          borderWidth: 1,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: {
        x: { ticks: { color: theme.muted, autoSkip: true }, grid: { display: false } },
        y: {
          beginAtZero: true,
          title: { display: true, text: 'KL (nats)', color: theme.muted },
          ticks: { color: theme.muted },
          grid: { color: theme.grid },
        },
      },
    },
  };
}
