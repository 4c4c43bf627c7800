import { afterEach, describe, expect, it, vi } from 'vitest';
import { colormapLut, colormapRgb } from '../../../src-renderer/figures/colormaps';
import { strideLabels } from '../../../src-renderer/figures/axes';
import { renderTiles } from '../../../src-renderer/figures/images';
import { runFigureJob, type ScatterJob } from '../../../src-renderer/figures/jobs';
import {
  defaultView,
  interpolationPoints,
  manifoldPoints,
  planeForView,
  projectOntoPlane,
  sampledLatent,
  traversalPoints,
} from '../../../src-renderer/figures/latent';
import { labelColor, tab10 } from '../../../src-renderer/figures/palette';
import { computePca, symmetricEigen } from '../../../src-renderer/figures/pca';
import {
  rasterizePoints,
  GridIndex,
  pixelToData,
  dataToPixel,
  squareDomain,
} from '../../../src-renderer/figures/scatter';
import { formatTick, manifoldTicks, niceTicks, tickStride } from '../../../src-renderer/figures/ticks';

describe('colour maps', () => {
  it('Greys_r runs from black to white', () => {
    expect(colormapRgb('Greys_r', 0)).toEqual([0, 0, 0]);
    expect(colormapRgb('Greys_r', 1)).toEqual([255, 255, 255]);
    expect(colormapRgb('Greys_r', 0.5)).toEqual([128, 128, 128]);
  });

  it("gnuplot is matplotlib's (√x, x³, sin 2πx) clipped", () => {
    expect(colormapRgb('gnuplot', 0)).toEqual([0, 0, 0]);
    expect(colormapRgb('gnuplot', 0.25)).toEqual([128, 4, 255]);
    expect(colormapRgb('gnuplot', 0.5)).toEqual([180, 32, 0]);
    expect(colormapRgb('gnuplot', 1)).toEqual([255, 255, 0]);
  });

  it('viridis matches matplotlib at its ends and middle', () => {
    expect(colormapRgb('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapRgb('viridis', 1)).toEqual([253, 231, 37]);
    // matplotlib's entry 128 is (0.127568, 0.566949, 0.550556).
    const mid = colormapRgb('viridis', 128 / 255);
    expect(mid[0]).toBeCloseTo(0.127568 * 255, -0.5);
    expect(mid[1]).toBeCloseTo(0.566949 * 255, -0.5);
    expect(mid[2]).toBeCloseTo(0.550556 * 255, -0.5);
  });

  it('builds 256-entry tables', () => {
    const lut = colormapLut('gnuplot');
    expect(lut.length).toBe(768);
    expect(Array.from(lut.subarray(255 * 3))).toEqual([255, 255, 0]);
  });
});

describe('tab10', () => {
  it("is matplotlib's palette, repeating past ten classes", () => {
    expect(tab10[0]).toBe('#1f77b4');
    expect(tab10[9]).toBe('#17becf');
    expect(labelColor(3)).toBe('#d62728');
    expect(labelColor(13)).toBe('#d62728');
  });
});

describe('PCA', () => {
  it('finds the eigenpairs of a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3);
    expect(values[1]).toBeCloseTo(1);
    expect(vectors[0]?.[0]).toBeCloseTo(Math.SQRT1_2);
    expect(vectors[0]?.[1]).toBeCloseTo(Math.SQRT1_2);
  });

  it('handles a diagonal 3×3 matrix, ordering by value', () => {
    const { values, vectors } = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(values).toEqual([5, 3, 1]);
    expect(Array.from(vectors[0] as Float64Array)).toEqual([0, 1, 0]);
  });

  it('recovers the main direction of points on a line', () => {
    // Points along (1, 2, 2)/3 with a little spread along (2, -1, 0)/√5, centred at (1, 1, 1).
    const rows: number[] = [];
    for (let t = -5; t <= 5; t++) {
      const s = Math.abs(t) % 2 === 0 ? 0.1 : -0.1;
      rows.push(1 + t / 3 + (2 * s) / Math.sqrt(5), 1 + (2 * t) / 3 - s / Math.sqrt(5), 1 + (2 * t) / 3);
    }
    const pca = computePca(rows, 11, 3, 2);
    for (const m of pca.mean) expect(m).toBeCloseTo(1, 1);
    const c = pca.components[0] as Float64Array;
    expect(c[0]).toBeCloseTo(1 / 3, 3);
    expect(c[1]).toBeCloseTo(2 / 3, 3);
    expect(c[2]).toBeCloseTo(2 / 3, 3);
    expect(pca.explained[0]).toBeGreaterThan(0.99);
  });
});

describe('ticks', () => {
  it('labels a 20×20 manifold over [−2, 2] like the notebook', () => {
    const { x, y } = manifoldTicks(20, 2);
    expect(x).toHaveLength(20);
    expect(x[0]?.label).toBe('-2.0');
    expect(x[1]?.label).toBe('-1.8');
    expect(x[9]?.label).toBe('-0.1');
    expect(x[19]?.label).toBe('2.0');
    // y runs from the top: +2 first.
    expect(y[0]?.label).toBe('2.0');
    expect(y[19]?.label).toBe('-2.0');
    expect(x.every((t, i) => t.cell === i)).toBe(true);
  });

  it('never prints −0', () => {
    expect(manifoldTicks(3, 1).x.map((t) => t.label)).toEqual(['-1.0', '0.0', '1.0']);
    expect(formatTick(-0)).toBe('0');
  });

  it('nice ticks are round numbers inside the range', () => {
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3.7, 4.2, 7)).toEqual([-2, 0, 2, 4]);
    expect(niceTicks(-4, 4, 9)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  });

  it('keeps both ends labelled when thinning', () => {
    const at = (n: number, stride: number) =>
      Array.from({ length: n }, (_, i) => i).filter(strideLabels(n, stride));
    expect(at(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(at(21, 2)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    // 20 ticks at stride 2: 18 would crowd 19, so it goes.
    expect(at(20, 2)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 19]);
  });

  it('thins labels that would overlap', () => {
    expect(tickStride(28, 20)).toBe(1);
    expect(tickStride(12, 24)).toBe(3);
  });
});

describe('latent planes', () => {
  it('puts the other dimensions at 0 and follows the chosen pair', () => {
    const plane = planeForView({ kind: 'dims', dims: [2, 0] }, 4, null);
    expect(plane.labels).toEqual(['z [2]', 'z [0]']);
    expect(manifoldPoints(plane, 2, 1)[0]).toEqual([1, 0, -1, 0]);
  });

  it('projects codes on the chosen dimensions', () => {
    const codes = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const plane = planeForView({ kind: 'dims', dims: [2, 0] }, 3, null);
    expect(Array.from(projectOntoPlane(codes, 2, 3, plane))).toEqual([3, 1, 6, 4]);
  });

  it('uses the principal components in a PCA view', () => {
    const rows = [0, 0, 0, 2, 2, 0, -2, -2, 0, 1, 1, 0.5, -1, -1, -0.5];
    const pca = computePca(rows, 5, 3);
    const plane = planeForView({ kind: 'pca' }, 3, pca);
    expect(plane.labels).toEqual(['PC 1', 'PC 2']);
    const xy = projectOntoPlane(Float32Array.from(rows), 5, 3, plane);
    // The first point is the mean: it projects to the origin.
    expect(xy[0]).toBeCloseTo(0);
    expect(Math.abs(xy[2] as number)).toBeCloseTo(Math.sqrt(8), 1);
  });

  it('defaults to PCA above two dimensions', () => {
    expect(defaultView(2)).toEqual({ kind: 'dims', dims: [0, 1] });
    expect(defaultView(20)).toEqual({ kind: 'pca' });
  });

  it('interpolates and traverses', () => {
    expect(interpolationPoints([0, 0], [1, 2], 3)).toEqual([
      [0, 0],
      [0.5, 1],
      [1, 2],
    ]);
    expect(traversalPoints([5, 5], 1, 2, 3)).toEqual([
      [5, -2],
      [5, 0],
      [5, 2],
    ]);
  });

  it('samples z the same way every time', () => {
    const mu = Float32Array.from([1, 1]);
    const logVar = Float32Array.from([-100, 0]);
    const a = sampledLatent(mu, logVar, 0, 2);
    expect(a).toEqual(sampledLatent(mu, logVar, 0, 2));
    expect(a[0]).toBeCloseTo(1, 6);
    expect(a[1]).not.toBe(1);
  });
});

describe('image tiles', () => {
  it('lays images out with gaps through the lookup table', () => {
    const images = Uint8Array.from([0, 255, 255, 0]);
    const lut = colormapLut('Greys_r');
    const out = renderTiles({ images, shape: { height: 1, width: 2, channels: 1 }, cols: 2, gap: 1, lut });
    expect(out.width).toBe(5);
    expect(out.height).toBe(1);
    const px = (x: number) => Array.from(out.data.subarray(x * 4, x * 4 + 4));
    expect(px(0)).toEqual([0, 0, 0, 255]);
    expect(px(1)).toEqual([255, 255, 255, 255]);
    expect(px(2)).toEqual([0, 0, 0, 0]);
    expect(px(3)).toEqual([255, 255, 255, 255]);
    expect(px(4)).toEqual([0, 0, 0, 255]);
  });

  it('scales by whole pixels and maps colours', () => {
    const out = renderTiles({
      images: Uint8Array.from([255]),
      shape: { height: 1, width: 1, channels: 1 },
      cols: 1,
      scale: 2,
      lut: colormapLut('gnuplot'),
    });
    expect(out.width).toBe(2);
    expect(Array.from(out.data.subarray(12, 16))).toEqual([255, 255, 0, 255]);
  });

  it('draws RGB stacks as they are and hatches missing tiles', () => {
    const out = renderTiles({
      images: Uint8Array.from([10, 20, 30, 0, 0, 0]),
      shape: { height: 1, width: 1, channels: 3 },
      cols: 2,
      lut: colormapLut('Greys_r'),
      missing: (t) => t === 1,
    });
    expect(Array.from(out.data.subarray(0, 4))).toEqual([10, 20, 30, 255]);
    expect(out.data[4]).toBe(150);
  });
});

describe('scatter', () => {
  const vp = { x0: -1, x1: 1, y0: -1, y1: 1, left: 10, top: 10, width: 200, height: 200 };

  it('maps data to pixels with y up, and back', () => {
    expect(dataToPixel(vp, -1, 1)).toEqual([10, 10]);
    expect(dataToPixel(vp, 1, -1)).toEqual([210, 210]);
    expect(pixelToData(vp, 110, 60)).toEqual([0, 0.5]);
  });

  it('makes a square padded domain', () => {
    const d = squareDomain(Float32Array.from([0, 0, 2, 1]), 0);
    expect(d).toEqual({ x0: 0, x1: 2, y0: -0.5, y1: 1.5 });
  });

  it('finds the same nearest point as a full scan', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const pixels = new Float32Array(2 * 10000);
    for (let i = 0; i < pixels.length; i++) pixels[i] = random() * 500;
    const index = new GridIndex(pixels, 8);
    for (let q = 0; q < 200; q++) {
      const x = random() * 500;
      const y = random() * 500;
      let best = -1;
      let bestD = 36;
      for (let i = 0; i < 10000; i++) {
        const d = ((pixels[2 * i] as number) - x) ** 2 + ((pixels[2 * i + 1] as number) - y) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = i;
        }
      }
      const found = index.nearest(x, y, 6);
      if (best === -1) expect(found).toBe(-1);
      else {
        const d = ((pixels[2 * found] as number) - x) ** 2 + ((pixels[2 * found + 1] as number) - y) ** 2;
        expect(d).toBeCloseTo(bestD, 5);
      }
    }
  });

  it('skips points the filter rejects', () => {
    const index = new GridIndex(Float32Array.from([10, 10, 12, 10]), 8);
    expect(index.nearest(10, 10, 5)).toBe(0);
    expect(index.nearest(10, 10, 5, (i) => i !== 0)).toBe(1);
    expect(index.nearest(100, 100, 5)).toBe(-1);
  });

  it('rasterises points in data order, blending, skipping hidden classes', () => {
    const image = rasterizePoints({
      pixels: Float32Array.from([12, 12, 12, 12, 30, 30, 100, 100]),
      labels: Uint8Array.from([0, 1, 2, 0]),
      color: (label) =>
        [
          [255, 0, 0],
          [0, 0, 255],
          [0, 255, 0],
        ][label] as [number, number, number],
      rect: { left: 10, top: 10, width: 20, height: 20 },
      ratio: 2,
      size: 1,
      alpha: 0.5,
      hidden: new Set([2]),
    });
    expect(image.width).toBe(40);
    expect(image.height).toBe(40);
    // Points 0 and 1 land on the same 2×2 device pixels at (3..4, 3..4); point 2 is hidden, point 3 is outside.
    expect(image.drawn).toBe(2);
    const at = (x: number, y: number) =>
      Array.from(image.data.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 4));
    // Red at ½ then blue at ½ over it: blue weighs 2/3 of the colour, alpha ¾.
    expect(at(3, 3)).toEqual([85, 0, 170, 192]);
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
  });
});

describe("figure jobs (the figure worker's work)", () => {
  // Four codes in three dimensions, viewed on dims 0 and 2.
  const codes = Float32Array.from([0, 9, 0, 2, 9, 0, 0, 9, 2, 2, 9, 2]);
  const scatter: ScatterJob = {
    kind: 'scatter',
    codes,
    count: 4,
    dim: 3,
    plane: { origin: new Float64Array(3), axisX: Float64Array.of(1, 0, 0), axisY: Float64Array.of(0, 0, 1) },
    labels: Uint8Array.from([0, 1, 2, 3]),
    hidden: [3],
    plot: { left: 10, top: 20, width: 100, height: 100 },
    ratio: 2,
    size: 2,
  };

  it('projects, frames and paints the scatter, and says where each point went', () => {
    const { result, transfer } = runFigureJob(scatter);
    // The square [0, 2]² padded by 5 % of its span on each side.
    expect(result.domain.x0).toBeCloseTo(-0.1);
    expect(result.domain.x1).toBeCloseTo(2.1);
    expect(result.domain.y0).toBeCloseTo(-0.1);
    expect(result.domain.y1).toBeCloseTo(2.1);
    const at = (i: number) => [result.pixels[2 * i] as number, result.pixels[2 * i + 1] as number];
    const edge = (0.1 / 2.2) * 100;
    // y grows upwards in data and downwards on the canvas.
    expect(at(0)[0]).toBeCloseTo(10 + edge, 4);
    expect(at(0)[1]).toBeCloseTo(120 - edge, 4);
    expect(at(3)[0]).toBeCloseTo(110 - edge, 4);
    expect(at(3)[1]).toBeCloseTo(20 + edge, 4);
    expect(result.image).toMatchObject({ width: 200, height: 200 });
    // The layer is the plot area at device resolution: point 0 in tab10 blue, hidden point 3 not drawn.
    const pixel = (x: number, y: number) => {
      const p = (Math.round((y - 20) * 2) * 200 + Math.round((x - 10) * 2)) * 4;
      return Array.from(result.image.data.subarray(p, p + 4));
    };
    expect(pixel(at(0)[0] as number, at(0)[1] as number)).toEqual([0x1f, 0x77, 0xb4, 255]);
    expect(pixel(at(3)[0] as number, at(3)[1] as number)).toEqual([0, 0, 0, 0]);
    // Both buffers are handed over to the page, not copied.
    expect(transfer).toEqual([result.image.data.buffer, result.pixels.buffer]);
  });

  it('paints tiles with the colour map named', () => {
    const { result } = runFigureJob({
      kind: 'tiles',
      images: Uint8Array.from([0, 255]),
      shape: { height: 1, width: 1, channels: 1 },
      count: 2,
      cols: 2,
      colormap: 'Greys_r',
    });
    expect(result).toMatchObject({ width: 2, height: 1 });
    expect(Array.from(result.data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('computes the PCA of the codes', () => {
    const { result } = runFigureJob({ kind: 'pca', codes, count: 4, dim: 3 });
    expect(result).toEqual(computePca(codes, 4, 3, 2));
  });
});

describe('off the main thread', () => {
  const tiles = {
    kind: 'tiles',
    images: Uint8Array.from([255]),
    shape: { height: 1, width: 1, channels: 1 },
    count: 1,
    cols: 1,
    colormap: 'Greys_r',
  } as const;

  /** A fresh copy of the module: it keeps its worker (or the lack of one) for the page's life. */
  async function freshOffMain() {
    vi.resetModules();
    return (await import('../../../src-renderer/figures/off-main')).offMain;
  }

  afterEach(() => vi.unstubAllGlobals());

  it('runs jobs in the page where there is no worker', async () => {
    const offMain = await freshOffMain();
    const done = await offMain(tiles);
    expect(Array.from(done.result.data)).toEqual([255, 255, 255, 255]);
    expect(done.ms).toBeGreaterThanOrEqual(0);
  });

  it('answers each job from the worker by its number', async () => {
    const posted: unknown[] = [];
    class FakeWorker {
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onerror: ((event: { preventDefault(): void }) => void) | null = null;
      postMessage(message: { id: number; job: Parameters<typeof runFigureJob>[0] }) {
        posted.push(message.job.kind);
        const { result } = runFigureJob(message.job);
        // Answers in reverse order of asking, as a busy worker may not; ids keep them apart.
        setTimeout(() => this.onmessage?.({ data: { id: message.id, result, ms: 1 } }), 10 - message.id);
      }
      terminate() {}
    }
    vi.stubGlobal('Worker', FakeWorker);
    const offMain = await freshOffMain();
    const [a, b] = await Promise.all([offMain(tiles), offMain({ ...tiles, images: Uint8Array.from([0]) })]);
    expect(posted).toEqual(['tiles', 'tiles']);
    expect(Array.from(a.result.data)).toEqual([255, 255, 255, 255]);
    expect(Array.from(b.result.data)).toEqual([0, 0, 0, 255]);
    expect(a.ms).toBe(1);
  });

  it('finishes the jobs in the page when the worker cannot start', async () => {
    let terminated = false;
    class BrokenWorker {
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onerror: ((event: { preventDefault(): void }) => void) | null = null;
      constructor() {
        // As a worker script that cannot be loaded: an error event, after the constructor returns.
        setTimeout(() => this.onerror?.({ preventDefault() {} }), 0);
      }
      postMessage() {}
      terminate() {
        terminated = true;
      }
    }
    vi.stubGlobal('Worker', BrokenWorker);
    const offMain = await freshOffMain();
    const first = await offMain(tiles);
    expect(terminated).toBe(true);
    expect(Array.from(first.result.data)).toEqual([255, 255, 255, 255]);
    // Later jobs do not try it again.
    const second = await offMain(tiles);
    expect(Array.from(second.result.data)).toEqual([255, 255, 255, 255]);
  });
});
