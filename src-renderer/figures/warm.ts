import { gaussian, mulberry32 } from '../../shared/random';
import { whenIdle } from '../lib/frame';
import { drawAxes, manifoldAxisTicks } from './axes';
import { canvasRatio, drawRgba, fitCanvas, readFigureColors } from './canvas';
import { colormapLut } from './colormaps';
import { renderTiles } from './images';
import type { FigureJob } from './jobs';
import { offMain } from './off-main';
import { GridIndex, toPixels, squareDomain } from './scatter';

/** Jobs of a run's real size for the figure worker: they run on its thread, not the page's. */
function workerJobs(): FigureJob[] {
  const random = mulberry32(2);
  const count = 10_000;
  const codes = Float32Array.from({ length: 2 * count }, () => gaussian(random));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const plane = { origin: new Float64Array(2), axisX: Float64Array.of(1, 0), axisY: Float64Array.of(0, 1) };
  const n = 20;
  const images = new Uint8Array(n * n * 784);
  return [
    // PCA runs for latent spaces above two dimensions.
    { kind: 'pca', codes: codes.subarray(0, 3 * 3000), count: 3000, dim: 3 },
    {
      kind: 'scatter',
      codes,
      count,
      dim: 2,
      plane,
      labels,
      hidden: [3],
      plot: { left: 46, top: 10, width: 504, height: 504 },
      ratio: canvasRatio(),
      size: 2.5,
    },
    {
      kind: 'tiles',
      images,
      shape: { height: 28, width: 28, channels: 1 },
      count: n * n,
      cols: n,
      colormap: 'Greys_r',
    },
  ];
}

/**
 * Runs each kind of figure work once, one per idle moment: the figure worker
 * starts and compiles its loops, on jobs as big as a run's, and the page does
 * the same, on a little data, for what it draws itself (small image grids,
 * axes, hover's grid), before the first epoch's figures. Interpreted the first
 * time, a 10,000-point scatter or a 20×20 manifold takes 50 ms instead of 5.
 */
export function warmFigures(): void {
  const canvas = globalThis.document?.createElement('canvas');
  const ctx = canvas ? fitCanvas(canvas, 300, 300) : null;
  if (!ctx) return;
  const rect = { left: 46, top: 10, width: 244, height: 244 };
  const colors = readFigureColors();
  whenIdle(() => {
    for (const job of workerJobs()) void offMain(job).catch(() => null);
  });
  whenIdle(() => {
    const random = mulberry32(1);
    const count = 600;
    const coords = Float32Array.from({ length: 2 * count }, () => gaussian(random));
    const pixels = toPixels(coords, { ...squareDomain(coords), ...rect });
    new GridIndex(pixels, 8).nearest(100, 100, 6);
    const n = 6;
    const images = new Uint8Array(n * n * 784).map((_, i) => (i * 7) & 255);
    for (const scale of [1, 2]) {
      const tiles = renderTiles({
        images,
        shape: { height: 28, width: 28, channels: 1 },
        count: n * n,
        cols: n,
        scale,
        gap: 1,
        lut: colormapLut('Greys_r'),
        missing: (t) => t === 0,
      });
      drawRgba(ctx, tiles, { x: rect.left, y: rect.top, width: rect.width, height: rect.height });
    }
    const ticks = manifoldAxisTicks(n, 2, rect);
    drawAxes(ctx, { rect, xTicks: ticks.x, yTicks: ticks.y, xLabel: 'z [0]', yLabel: 'z [1]', colors });
  });
}
