import type { RgbaImage } from './images';

/**
 * The latent scatter: 10,000 points drawn straight onto a canvas, and a
 * uniform grid over their pixel positions so hover finds the nearest point
 * without scanning them all.
 */

/** The data rectangle shown and the pixel rectangle it maps to (y grows upwards in data, downwards in pixels). */
export interface Viewport {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * A square data domain around interleaved (x, y) coordinates with `pad` of
 * the span added on each side, so both axes share one scale, as in a latent plot.
 */
export function squareDomain(
  coords: Float32Array,
  pad = 0.05,
): { x0: number; x1: number; y0: number; y1: number } {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < coords.length; i += 2) {
    const x = coords[i] as number;
    const y = coords[i + 1] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (minX > maxX) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  const span = Math.max(maxX - minX, maxY - minY, 1e-6) * (1 + 2 * pad);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return { x0: cx - span / 2, x1: cx + span / 2, y0: cy - span / 2, y1: cy + span / 2 };
}

export function dataToPixel(vp: Viewport, x: number, y: number): [number, number] {
  return [
    vp.left + ((x - vp.x0) / (vp.x1 - vp.x0)) * vp.width,
    vp.top + ((vp.y1 - y) / (vp.y1 - vp.y0)) * vp.height,
  ];
}

export function pixelToData(vp: Viewport, px: number, py: number): [number, number] {
  return [
    vp.x0 + ((px - vp.left) / vp.width) * (vp.x1 - vp.x0),
    vp.y1 - ((py - vp.top) / vp.height) * (vp.y1 - vp.y0),
  ];
}

/** Pixel positions (interleaved) of interleaved data coordinates. */
export function toPixels(coords: Float32Array, vp: Viewport): Float32Array {
  const out = new Float32Array(coords.length);
  const sx = vp.width / (vp.x1 - vp.x0);
  const sy = vp.height / (vp.y1 - vp.y0);
  for (let i = 0; i + 1 < coords.length; i += 2) {
    out[i] = vp.left + ((coords[i] as number) - vp.x0) * sx;
    out[i + 1] = vp.top + (vp.y1 - (coords[i + 1] as number)) * sy;
  }
  return out;
}

/** A bucket grid over points' pixel positions for nearest-point queries. */
export class GridIndex {
  private readonly cells = new Map<number, number[]>();

  /** `pixels` interleaved (x, y); `cell` the bucket size in pixels (about the hover radius). */
  constructor(
    private readonly pixels: Float32Array,
    private readonly cell = 8,
  ) {
    for (let i = 0; 2 * i + 1 < pixels.length; i++) {
      const x = pixels[2 * i] as number;
      const y = pixels[2 * i + 1] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const key = this.key(Math.floor(x / cell), Math.floor(y / cell));
      let bucket = this.cells.get(key);
      if (!bucket) this.cells.set(key, (bucket = []));
      bucket.push(i);
    }
  }

  private key(cx: number, cy: number): number {
    // Cells are small integers (a canvas is at most a few thousand pixels), so pack them in one number.
    return (cx + 32768) * 65536 + (cy + 32768);
  }

  /** Index of the nearest point within `maxDistance` pixels of (x, y) that `accept` allows, or −1. */
  nearest(x: number, y: number, maxDistance: number, accept?: (index: number) => boolean): number {
    const reach = Math.ceil(maxDistance / this.cell);
    const cx = Math.floor(x / this.cell);
    const cy = Math.floor(y / this.cell);
    let best = -1;
    let bestD = maxDistance * maxDistance;
    for (let gx = cx - reach; gx <= cx + reach; gx++) {
      for (let gy = cy - reach; gy <= cy + reach; gy++) {
        const bucket = this.cells.get(this.key(gx, gy));
        if (!bucket) continue;
        for (const i of bucket) {
          if (accept && !accept(i)) continue;
          const dx = (this.pixels[2 * i] as number) - x;
          const dy = (this.pixels[2 * i + 1] as number) - y;
          const d = dx * dx + dy * dy;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

/**
 * Paints points as `size`-pixel squares into an RGBA buffer covering the
 * rectangle `rect` (CSS pixels) at `ratio` device pixels per CSS pixel,
 * blending with `alpha` in data order (as matplotlib does, so no class is
 * always on top). Writing pixels directly is an order of magnitude faster
 * than 10,000 fillRect calls on a software-rendered canvas.
 */
export function rasterizePoints(options: {
  pixels: Float32Array;
  labels: Uint8Array;
  color: (label: number) => [number, number, number];
  rect: { left: number; top: number; width: number; height: number };
  ratio: number;
  size: number;
  alpha?: number;
  hidden?: ReadonlySet<number>;
}): RgbaImage & { drawn: number } {
  const { pixels, labels, rect, ratio } = options;
  const width = Math.max(1, Math.round(rect.width * ratio));
  const height = Math.max(1, Math.round(rect.height * ratio));
  const data = new Uint8ClampedArray(width * height * 4);
  const side = Math.max(1, Math.round(options.size * ratio));
  const half = side / 2;
  const a = options.alpha ?? 1;
  const colors = new Map<number, [number, number, number]>();
  const count = Math.min(labels.length, Math.floor(pixels.length / 2));
  let drawn = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i] as number;
    if (options.hidden?.has(label)) continue;
    let rgb = colors.get(label);
    if (!rgb) colors.set(label, (rgb = options.color(label)));
    const x0 = Math.round(((pixels[2 * i] as number) - rect.left) * ratio - half);
    const y0 = Math.round(((pixels[2 * i + 1] as number) - rect.top) * ratio - half);
    if (!(x0 + side > 0 && y0 + side > 0 && x0 < width && y0 < height)) continue;
    drawn++;
    const xs = Math.max(0, x0);
    const xe = Math.min(width, x0 + side);
    const ye = Math.min(height, y0 + side);
    if (a >= 1) {
      for (let y = Math.max(0, y0); y < ye; y++) {
        let p = (y * width + xs) * 4;
        for (let x = xs; x < xe; x++, p += 4) {
          data[p] = rgb[0];
          data[p + 1] = rgb[1];
          data[p + 2] = rgb[2];
          data[p + 3] = 255;
        }
      }
      continue;
    }
    for (let y = Math.max(0, y0); y < ye; y++) {
      let p = (y * width + xs) * 4;
      for (let x = xs; x < xe; x++, p += 4) {
        // Source-over on straight (non-premultiplied) alpha.
        const da = (data[p + 3] as number) / 255;
        const oa = a + da * (1 - a);
        const k = da * (1 - a);
        data[p] = (rgb[0] * a + (data[p] as number) * k) / oa;
        data[p + 1] = (rgb[1] * a + (data[p + 1] as number) * k) / oa;
        data[p + 2] = (rgb[2] * a + (data[p + 2] as number) * k) / oa;
        data[p + 3] = oa * 255;
      }
    }
  }
  return { width, height, data, drawn };
}
