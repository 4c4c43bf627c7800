import { whenIdle } from '../lib/frame';
import { drawAxes, manifoldAxisTicks } from './axes';
import { drawRgba, fitCanvas, readFigureColors } from './canvas';
import { colormapLut } from './colormaps';
import { renderTiles } from './images';
import { gaussian, seededRandom } from './latent';
import { hexToRgb, labelColor } from './palette';
import { GridIndex, rasterizePoints, squareDomain, toPixels } from './scatter';

/**
 * Draws a small scatter and a small grid of tiles off screen, one per idle
 * moment. The pixel loops run interpreted the first time (a 10,000-point
 * scatter or a 20×20 manifold then takes 50 ms instead of 5); run once here on
 * a few hundred points, they are compiled before the first epoch's figures.
 */
export function warmFigures(): void {
  const canvas = globalThis.document?.createElement('canvas');
  const ctx = canvas ? fitCanvas(canvas, 300, 300) : null;
  if (!ctx) return;
  const rect = { left: 46, top: 10, width: 244, height: 244 };
  const colors = readFigureColors();
  whenIdle(() => {
    const random = seededRandom(1);
    const count = 600;
    const coords = Float32Array.from({ length: 2 * count }, () => gaussian(random));
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const vp = { ...squareDomain(coords), ...rect };
    const pixels = toPixels(coords, vp);
    const layer = rasterizePoints({
      pixels,
      labels,
      color: (label) => hexToRgb(labelColor(label)),
      rect,
      ratio: 1,
      size: 3.5,
      hidden: new Set([3]),
    });
    drawRgba(ctx, layer, { x: rect.left, y: rect.top, width: rect.width, height: rect.height });
    new GridIndex(pixels, 8).nearest(100, 100, 6);
  });
  whenIdle(() => {
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
