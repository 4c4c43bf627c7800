import type { Snapshot } from '../../shared/run';
import { colormapLut } from './colormaps';
import { renderTiles, type RgbaImage } from './images';
import { labelColor } from './palette';

/** Figures the sweep view can lay out for every run. */
export const sweepFigures = ['manifold', 'gallery', 'prior', 'scatter'] as const;
export type SweepFigure = (typeof sweepFigures)[number];
export const sweepFigureLabels: Record<SweepFigure, string> = {
  manifold: 'Manifold',
  gallery: 'Gallery (original, mean, sampled)',
  prior: 'Prior samples',
  scatter: 'Latent scatter (z 0, z 1)',
};

/** One run's figure as pixels, to be drawn into a cell of the grid (null for the scatter: drawn as points). */
export function figureTiles(snapshot: Snapshot, figure: Exclude<SweepFigure, 'scatter'>): RgbaImage {
  const shape = snapshot.imageShape;
  const lut = colormapLut('Greys_r');
  if (figure === 'manifold') {
    return renderTiles({ images: snapshot.manifold.images, shape, cols: snapshot.manifold.n, lut });
  }
  if (figure === 'prior') {
    const cols = Math.ceil(Math.sqrt(snapshot.prior.count));
    return renderTiles({
      images: snapshot.prior.images,
      shape,
      count: snapshot.prior.count,
      cols,
      lut,
      gap: 1,
    });
  }
  const { original, mean, sampled } = snapshot.gallery;
  const stack = new Uint8Array(original.length + mean.length + sampled.length);
  stack.set(original, 0);
  stack.set(mean, original.length);
  stack.set(sampled, original.length + mean.length);
  return renderTiles({ images: stack, shape, cols: snapshot.galleryIndices.length, lut, gap: 1 });
}

/** Draws the first two latent dimensions of `z_mu` as dots coloured by label, fitted to the rectangle. */
export function drawScatter(
  ctx: CanvasRenderingContext2D,
  snapshot: Snapshot,
  rect: { x: number; y: number; width: number; height: number },
): void {
  const { count, latentDim, zMu, labels } = snapshot.latent;
  if (count === 0) return;
  const dy = latentDim > 1 ? 1 : 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < count; i++) {
    for (const d of [0, dy]) {
      const v = zMu[i * latentDim + d]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const span = hi - lo || 1;
  for (let i = 0; i < count; i++) {
    const px = rect.x + ((zMu[i * latentDim]! - lo) / span) * rect.width;
    const py = rect.y + rect.height - ((zMu[i * latentDim + dy]! - lo) / span) * rect.height;
    ctx.fillStyle = labelColor(labels[i]!);
    ctx.fillRect(px - 1, py - 1, 2, 2);
  }
}
