import { colormapLut, type ColormapName } from './colormaps';
import { renderTiles, type ImageShape, type RgbaImage } from './images';
import { projectOntoPlane } from './latent';
import { hexToRgb, labelColor } from './palette';
import { computePca, type Pca } from './pca';
import { rasterizePoints, squareDomain, toPixels } from './scatter';

/**
 * The figures' number crunching that is too long for the page's main thread
 * while a run trains (tens of milliseconds each on a busy machine): the PCA
 * of the test codes, the latent scatter's pixels, the manifold's tiles. Every
 * job is plain data in, plain data out, so it runs in the figure worker
 * (figures/figure-worker.ts) or, where there is none, in the page itself.
 */

/** PCA (two components) of `count` latent codes of `dim` values. */
export interface PcaJob {
  kind: 'pca';
  codes: Float32Array;
  count: number;
  dim: number;
}

/** The latent scatter's point layer: codes projected onto a plane and painted, coloured by label. */
export interface ScatterJob {
  kind: 'scatter';
  codes: Float32Array;
  count: number;
  dim: number;
  plane: { origin: Float64Array; axisX: Float64Array; axisY: Float64Array };
  labels: Uint8Array;
  /** Labels not drawn. */
  hidden: number[];
  /** The plot area, in CSS pixels of the canvas. */
  plot: { left: number; top: number; width: number; height: number };
  /** Device pixels per CSS pixel. */
  ratio: number;
  /** Marker side in CSS pixels. */
  size: number;
}

/** A grid of greyscale (or RGB) images, one image pixel per pixel. */
export interface TilesJob {
  kind: 'tiles';
  images: Uint8Array;
  shape: ImageShape;
  count: number;
  cols: number;
  colormap: ColormapName;
  gap?: number;
}

export type FigureJob = PcaJob | ScatterJob | TilesJob;

/** What a scatter job gives back: the layer, and where every point went (for hover and the overlay). */
export interface ScatterLayer {
  image: RgbaImage;
  /** Each point's position in CSS pixels of the canvas, (x, y) interleaved. */
  pixels: Float32Array;
  /** The data square shown, both axes on one scale. */
  domain: { x0: number; x1: number; y0: number; y1: number };
}

export type FigureResult<J extends FigureJob> = J extends PcaJob
  ? Pca
  : J extends ScatterJob
    ? ScatterLayer
    : RgbaImage;

/** Runs a job; `transfer` lists the result's buffers, handed over rather than copied. */
export function runFigureJob<J extends FigureJob>(
  job: J,
): { result: FigureResult<J>; transfer: ArrayBuffer[] } {
  return run(job) as { result: FigureResult<J>; transfer: ArrayBuffer[] };
}

function run(job: FigureJob): { result: Pca | ScatterLayer | RgbaImage; transfer: ArrayBuffer[] } {
  if (job.kind === 'pca') return { result: computePca(job.codes, job.count, job.dim, 2), transfer: [] };
  if (job.kind === 'tiles') {
    const image = renderTiles({
      images: job.images,
      shape: job.shape,
      count: job.count,
      cols: job.cols,
      gap: job.gap ?? 0,
      lut: colormapLut(job.colormap),
    });
    return { result: image, transfer: [image.data.buffer as ArrayBuffer] };
  }
  const coords = projectOntoPlane(job.codes, job.count, job.dim, job.plane);
  const domain = squareDomain(coords);
  const pixels = toPixels(coords, { ...domain, ...job.plot });
  const image = rasterizePoints({
    pixels,
    labels: job.labels,
    color: (label) => hexToRgb(labelColor(label)),
    rect: job.plot,
    ratio: job.ratio,
    size: job.size,
    // Opaque, like the notebook's markers; a later point covers an earlier one, in data order.
    alpha: 1,
    hidden: new Set(job.hidden),
  });
  return {
    result: { image: { width: image.width, height: image.height, data: image.data }, pixels, domain },
    transfer: [image.data.buffer as ArrayBuffer, pixels.buffer as ArrayBuffer],
  };
}
