/** Colours the chart builders need; the renderer reads them from the CSS theme. */
export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
}

export const lightChartTheme: ChartTheme = { text: '#1b1f24', muted: '#5b6470', grid: '#e3e6ea' };

/** The notebook's (matplotlib's) first three cycle colours: loss, reconstruction, KL. */
export const termColors = { loss: '#1f77b4', recon: '#ff7f0e', kl: '#2ca02c' } as const;
