/** matplotlib's ten-colour `tab10` palette, the notebook's scatter colours. */
export const tab10 = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
] as const;

/** The colour of class `label`; past ten classes the palette repeats. */
export function labelColor(label: number): string {
  return tab10[((label % tab10.length) + tab10.length) % tab10.length] as string;
}

/** `#rrggbb` to [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A series colour for the i-th run in a comparison (tab10 again, so runs match the notebook's look). */
export function seriesColor(index: number): string {
  return labelColor(index);
}

/** Most runs in one compare report: one tab10 colour each, so no two curves share a colour. */
export const maxCompareRuns = tab10.length;
