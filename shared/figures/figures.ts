import { linspace } from '../manifold';
import type { EpochMetrics } from '../run';
import { colormapLut, colormapRgb, type ColormapName } from './colormaps';
import { renderTiles, type ImageShape } from './images';
import { labelColor } from './palette';
import { strideLabels } from './strides';
import { formatTick, manifoldTicks, niceTicks, tickStride } from './ticks';
import {
  escapeXml,
  labelFontSize,
  num,
  svgAxes,
  svgDocument,
  svgImage,
  svgText,
  textWidth,
  themeOf,
  type AxisTick,
  type FigureOptions,
  type FigureSvg,
  type PlotRect,
} from './svg';

/**
 * Every figure of a run, drawn once as SVG (see svg.ts). The screen's
 * download buttons and the report export call these same functions, so a
 * downloaded figure and a report figure cannot differ. Decoded images are
 * embedded at one figure unit per pixel: at any scale ≥ 1 they are never
 * downsampled, and scaled up nearest-neighbour.
 */

const margin = { left: 52, right: 12, top: 12, bottom: 44 };
/** Background of the pixel grids' gaps: transparent, so the figure's own shows through. */
const clear: [number, number, number, number] = [0, 0, 0, 0];

export interface ManifoldFigureInput {
  n: number;
  range: number;
  /** The latent dimensions on x and y (for the default axis titles); [0, 1] by default. */
  dims?: [number, number];
  /** n×n images, row 0 at the top (largest value on y). */
  images: Uint8Array;
  imageShape: ImageShape;
  colormap?: ColormapName;
  /** Axis titles; `z [dimX]`, `z [dimY]` by default. */
  labels?: [string, string];
}

/** The n×n manifold: each digit at its native size (× scale), a tick at every cell centre, labels thinned to fit. */
export function manifoldSvg(input: ManifoldFigureInput, options: FigureOptions = {}): FigureSvg {
  const { n, imageShape: shape } = input;
  const tiles = renderTiles({
    images: input.images,
    shape,
    count: n * n,
    cols: n,
    lut: colormapLut(input.colormap ?? 'Greys_r'),
    background: clear,
  });
  const rect: PlotRect = { left: margin.left, top: margin.top, width: tiles.width, height: tiles.height };
  const ticks = manifoldTicks(n, input.range);
  const cellX = rect.width / n;
  const cellY = rect.height / n;
  const widest = Math.max(...ticks.x.map((t) => textWidth(t.label)));
  const showX = strideLabels(n, tickStride(cellX, widest));
  const showY = strideLabels(n, tickStride(cellY, tickFontHeight));
  const [dx, dy] = input.dims ?? [0, 1];
  const [lx, ly] = input.labels ?? [`z [${dx}]`, `z [${dy}]`];
  const body = [
    svgImage(tiles, rect.left, rect.top, options),
    ...svgAxes({
      rect,
      xTicks: ticks.x.map((t) => ({
        at: rect.left + (t.cell + 0.5) * cellX,
        label: showX(t.cell) ? t.label : '',
      })),
      yTicks: ticks.y.map((t) => ({
        at: rect.top + (t.cell + 0.5) * cellY,
        label: showY(t.cell) ? t.label : '',
      })),
      xLabel: lx,
      yLabel: ly,
      theme: themeOf(options),
    }),
  ];
  return svgDocument(
    margin.left + rect.width + margin.right,
    margin.top + rect.height + margin.bottom,
    options,
    body,
    `Manifold ${n}×${n} over [−${input.range}, ${input.range}]²`,
  );
}

const tickFontHeight = 10;

export interface ImageRow {
  /** Shown left of the row; omit for none. */
  name?: string;
  /** The row's images, `count × height × width × channels`. */
  images: Uint8Array;
  count: number;
  /** Tiles that have no image (hatched), e.g. originals not available. */
  missing?: (tile: number) => boolean;
}

export interface ImageRowsInput {
  rows: ImageRow[];
  imageShape: ImageShape;
  colormap?: ColormapName;
  /** Captions under the columns (gallery indices, interpolation steps, traversal values). */
  columnLabels?: string[];
  /** Figure units per image pixel (a whole number ≥ 1); 1 by default. */
  pixelSize?: number;
  title: string;
}

/** Rows of images with their names on the left: gallery, prior samples, interpolation, traversal. */
export function imageRowsSvg(input: ImageRowsInput, options: FigureOptions = {}): FigureSvg {
  const shape = input.imageShape;
  const k = Math.max(1, Math.floor(input.pixelSize ?? 1));
  const gap = 2;
  const lut = colormapLut(input.colormap ?? 'Greys_r');
  const names = input.rows.map((r) => r.name ?? '');
  const nameWidth = names.some((s) => s)
    ? Math.ceil(Math.max(...names.map((s) => textWidth(s, labelFontSize)))) + 12
    : 0;
  const columns = Math.max(1, ...input.rows.map((r) => r.count));
  const tileW = shape.width * k;
  const tileH = shape.height * k;
  const pad = 8;
  const captions = input.columnLabels ?? [];
  const captionHeight = captions.length ? 16 : 0;
  const body: string[] = [];
  input.rows.forEach((row, r) => {
    const y = pad + r * (tileH + gap);
    if (row.name)
      body.push(
        svgText(row.name, pad + nameWidth - 8, y + tileH / 2, {
          anchor: 'end',
          size: labelFontSize,
          baseline: 'middle',
        }),
      );
    const tiles = renderTiles({
      images: row.images,
      shape,
      count: row.count,
      cols: Math.max(1, row.count),
      gap: Math.max(0, Math.round(gap / k)),
      lut,
      background: clear,
      ...(row.missing ? { missing: row.missing } : {}),
    });
    body.push(svgImage(tiles, pad + nameWidth, y, options, k));
  });
  const gridBottom = pad + input.rows.length * (tileH + gap) - gap;
  if (captions.length) {
    const pitch = tileW + Math.max(0, Math.round(gap / k)) * k;
    body.push(`<g class="column-labels" fill="${themeOf(options).muted}">`);
    captions.forEach((c, i) =>
      body.push(
        svgText(c, pad + nameWidth + i * pitch + tileW / 2, gridBottom + 4, {
          anchor: 'middle',
          baseline: 'hanging',
        }),
      ),
    );
    body.push('</g>');
  }
  const pitch = tileW + Math.max(0, Math.round(gap / k)) * k;
  return svgDocument(
    pad + nameWidth + columns * pitch - (pitch - tileW) + pad,
    gridBottom + captionHeight + pad,
    options,
    body,
    input.title,
  );
}

/** The gallery's three rows, named as on screen (the reference notebook's figure). */
export const galleryRowNames = ['original', 'generator(z_mu)', 'sampled z'] as const;

export interface GalleryFigureInput {
  original: Uint8Array;
  mean: Uint8Array;
  sampled: Uint8Array;
  /** Test-set indices of the columns (captions). */
  indices: number[];
  imageShape: ImageShape;
  colormap?: ColormapName;
  missingOriginal?: boolean[];
}

export function gallerySvg(input: GalleryFigureInput, options: FigureOptions = {}): FigureSvg {
  const count = input.indices.length;
  const missing = input.missingOriginal;
  return imageRowsSvg(
    {
      rows: [
        {
          name: galleryRowNames[0],
          images: input.original,
          count,
          ...(missing ? { missing: (t: number) => missing[t] === true } : {}),
        },
        { name: galleryRowNames[1], images: input.mean, count },
        { name: galleryRowNames[2], images: input.sampled, count },
      ],
      imageShape: input.imageShape,
      columnLabels: input.indices.map((i) => `#${i}`),
      title: 'Gallery: originals, generator(z_mu), sampled z',
      ...(input.colormap ? { colormap: input.colormap } : {}),
    },
    { ...options },
  );
}

/** Prior samples in rows of `columns` (10 by default). */
export function priorSvg(
  input: {
    images: Uint8Array;
    count: number;
    imageShape: ImageShape;
    colormap?: ColormapName;
    columns?: number;
  },
  options: FigureOptions = {},
): FigureSvg {
  const cols = Math.max(1, input.columns ?? 10);
  const size = input.imageShape.height * input.imageShape.width * input.imageShape.channels;
  const rows: ImageRow[] = [];
  for (let start = 0; start < input.count; start += cols) {
    const count = Math.min(cols, input.count - start);
    rows.push({ images: input.images.subarray(start * size, (start + count) * size), count });
  }
  return imageRowsSvg(
    {
      rows,
      imageShape: input.imageShape,
      title: 'Samples from the prior z ~ N(0, I)',
      ...(input.colormap ? { colormap: input.colormap } : {}),
    },
    options,
  );
}

export interface ScatterFigureInput {
  /** `count × latentDim` latent codes (z_mu). */
  points: Float32Array;
  latentDim: number;
  count: number;
  labels: Uint8Array;
  /** The two dimensions plotted; [0, 1] by default. */
  dims?: [number, number];
  /** Names of the classes for the legend (the dataset's); the class numbers otherwise. */
  labelNames?: string[];
  /** Axis titles; `z [dimX]`, `z [dimY]` by default. */
  axisLabels?: [string, string];
}

/** The latent scatter coloured by class with the tab10 palette, with a legend. */
export function scatterSvg(input: ScatterFigureInput, options: FigureOptions = {}): FigureSvg {
  const [dx, dy] = input.dims ?? [0, Math.min(1, input.latentDim - 1)];
  const size = 420;
  const rect: PlotRect = { left: margin.left, top: margin.top, width: size, height: size };
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < input.count; i++) {
    xs.push(input.points[i * input.latentDim + dx] as number);
    ys.push(input.points[i * input.latentDim + dy] as number);
  }
  const extent = (v: number[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) if (Number.isFinite(x)) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    if (!Number.isFinite(lo)) return [-1, 1] as const;
    const padBy = (hi - lo || 1) * 0.05;
    return [lo - padBy, hi + padBy] as const;
  };
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const px = (v: number) => rect.left + ((v - x0) / (x1 - x0)) * rect.width;
  const py = (v: number) => rect.top + rect.height - ((v - y0) / (y1 - y0)) * rect.height;
  const classes = [...new Set(input.labels.subarray(0, input.count))].sort((a, b) => a - b);
  const body: string[] = [];
  const xTicks: AxisTick[] = niceTicks(x0, x1).map((v) => ({ at: px(v), label: formatTick(v) }));
  const yTicks: AxisTick[] = niceTicks(y0, y1).map((v) => ({ at: py(v), label: formatTick(v) }));
  const axes = svgAxes({
    rect,
    xTicks,
    yTicks,
    xLabel: input.axisLabels?.[0] ?? `z [${dx}]`,
    yLabel: input.axisLabels?.[1] ?? `z [${dy}]`,
    theme: themeOf(options),
    grid: true,
  });
  // Grid under the points, frame and labels over them.
  body.push(axes[0] as string);
  for (const c of classes) {
    const dots: string[] = [];
    for (let i = 0; i < input.count; i++) {
      if (input.labels[i] !== c || !Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
      dots.push(`M${num(px(xs[i] as number))} ${num(py(ys[i] as number))}h0`);
    }
    body.push(
      `<path class="points" data-label="${c}" d="${dots.join('')}" stroke="${labelColor(c)}" stroke-width="3" stroke-linecap="round" stroke-opacity="0.7" fill="none"/>`,
    );
  }
  body.push(...axes.slice(1));
  const names = classes.map((c) => input.labelNames?.[c] ?? String(c));
  const legendX = rect.left + rect.width + 16;
  const legendWidth = 24 + Math.max(20, ...names.map((s) => textWidth(s, labelFontSize)));
  body.push(`<g class="legend" font-size="${labelFontSize}">`);
  classes.forEach((c, i) => {
    const y = rect.top + 8 + i * 18;
    body.push(`<circle cx="${num(legendX + 5)}" cy="${num(y)}" r="4.5" fill="${labelColor(c)}"/>`);
    body.push(svgText(names[i] as string, legendX + 16, y, { baseline: 'middle' }));
  });
  body.push('</g>');
  return svgDocument(
    legendX + legendWidth + margin.right,
    margin.top + size + margin.bottom,
    options,
    body,
    `Latent space: z [${dx}] against z [${dy}], coloured by class`,
  );
}

export interface LineSeries {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Written as the path's `data-key` (e.g. the run id of a compare report's curve). */
  key?: string;
}

/** One entry of a legend: a short line in the series' colour and style. */
export interface LegendEntry {
  name: string;
  /** A theme colour when omitted (a key to line styles rather than to one series). */
  color?: string;
  dashed?: boolean;
}

/** Lines over a continuous x (epochs) with a legend: the loss curve and the compare report's. */
export function linesSvg(
  input: {
    series: LineSeries[];
    xLabel: string;
    yLabel: string;
    title: string;
    /** The legend's entries; one per series (its name) by default. */
    legend?: LegendEntry[];
  },
  options: FigureOptions = {},
): FigureSvg {
  const rect: PlotRect = { left: margin.left + 8, top: margin.top, width: 480, height: 300 };
  const all = input.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMin = Math.min(...all.map((p) => p[0]), Infinity);
  const xMax = Math.max(...all.map((p) => p[0]), -Infinity);
  const yMin = Math.min(...all.map((p) => p[1]), Infinity);
  const yMax = Math.max(...all.map((p) => p[1]), -Infinity);
  const [x0, x1] = all.length ? (xMax > xMin ? [xMin, xMax] : [xMin - 1, xMax + 1]) : [0, 1];
  const yPad = all.length ? (yMax - yMin || Math.abs(yMax) || 1) * 0.06 : 1;
  const [y0, y1] = all.length ? [yMin - yPad, yMax + yPad] : [0, 1];
  const px = (v: number) => rect.left + ((v - x0) / (x1 - x0)) * rect.width;
  const py = (v: number) => rect.top + rect.height - ((v - y0) / (y1 - y0)) * rect.height;
  // Epochs are whole numbers: no tick at 2.5.
  const xValues = niceTicks(x0, x1).filter((v) => Number.isInteger(v));
  const axes = svgAxes({
    rect,
    xTicks: xValues.map((v) => ({ at: px(v), label: formatTick(v) })),
    yTicks: niceTicks(y0, y1).map((v) => ({ at: py(v), label: formatTick(v) })),
    xLabel: input.xLabel,
    yLabel: input.yLabel,
    theme: themeOf(options),
    grid: true,
  });
  const body = [axes[0] as string];
  for (const s of input.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${num(px(x))} ${num(py(y))}`).join('');
    // A run of one epoch is a single point: drawn as a dot wide enough to see.
    body.push(
      `<path class="series" data-name="${escapeXml(s.name)}"${s.key !== undefined ? ` data-key="${escapeXml(s.key)}"` : ''} d="${d}${pts.length === 1 ? 'h0' : ''}" stroke="${s.color}" stroke-width="${pts.length === 1 ? 7 : 2}" fill="none" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
  }
  body.push(...axes.slice(1));
  const legend = input.legend ?? input.series;
  const legendX = rect.left + rect.width + 16;
  const legendWidth = 30 + Math.max(20, ...legend.map((s) => textWidth(s.name, labelFontSize)));
  body.push(`<g class="legend" font-size="${labelFontSize}">`);
  legend.forEach((s, i) => {
    const y = rect.top + 8 + i * 18;
    body.push(
      `<path d="M${num(legendX)} ${num(y)}h20" stroke="${s.color ?? themeOf(options).muted}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      svgText(s.name, legendX + 26, y, { baseline: 'middle' }),
    );
  });
  body.push('</g>');
  // A long legend (many runs) must not hang below the plot.
  const legendBottom = rect.top + 8 + legend.length * 18;
  return svgDocument(
    legendX + legendWidth + margin.right,
    Math.max(rect.top + rect.height + margin.bottom, legendBottom),
    options,
    body,
    input.title,
  );
}

/** One run of {@link compareLossSvg}: its losses per epoch (null where it has none). */
export interface CompareLossRun {
  /** The run's id, written on its curves as `data-key`. */
  id: string;
  /** Its name in the legend. */
  name: string;
  epochs: { epoch: number; train: number | null; test: number | null }[];
}

/**
 * The compare report's loss figure: every run's test loss (solid) and
 * training loss (dashed) overlaid, one tab10 colour per run in the order given
 * (the compare view's colours), the legend naming the runs and the two styles.
 */
export function compareLossSvg(input: { runs: CompareLossRun[] }, options: FigureOptions = {}): FigureSvg {
  const series: LineSeries[] = [];
  const points = (run: CompareLossRun, split: 'train' | 'test') =>
    run.epochs.flatMap((e): [number, number][] => {
      const v = e[split];
      return v === null ? [] : [[e.epoch, v]];
    });
  input.runs.forEach((run, i) => {
    series.push({ name: `${run.name} test`, key: run.id, color: labelColor(i), points: points(run, 'test') });
    series.push({
      name: `${run.name} train`,
      key: run.id,
      color: labelColor(i),
      points: points(run, 'train'),
      dashed: true,
    });
  });
  return linesSvg(
    {
      series,
      legend: [
        ...input.runs.map((run, i) => ({ name: run.name, color: labelColor(i) })),
        { name: 'test loss' },
        { name: 'train loss', dashed: true },
      ],
      xLabel: 'epoch',
      yLabel: 'loss (nats per image)',
      title: `Loss per epoch of ${input.runs.length} runs`,
    },
    options,
  );
}

/** Train and test loss per epoch (the loss chart on screen). */
export function lossSvg(input: { epochs: EpochMetrics[] }, options: FigureOptions = {}): FigureSvg {
  return linesSvg(
    {
      series: [
        {
          name: 'train loss',
          color: labelColor(0),
          points: input.epochs.map((e) => [e.epoch, e.train.loss]),
        },
        { name: 'test loss', color: labelColor(1), points: input.epochs.map((e) => [e.epoch, e.test.loss]) },
      ],
      xLabel: 'epoch',
      yLabel: 'loss (nats per image)',
      title: 'Loss per epoch',
    },
    options,
  );
}

/** Mean KL per latent dimension as bars, one per `z [i]`. */
export function klSvg(input: { klPerDim: number[] }, options: FigureOptions = {}): FigureSvg {
  const d = input.klPerDim.length;
  const barPitch = Math.max(14, Math.min(48, 480 / Math.max(d, 1)));
  const rect: PlotRect = {
    left: margin.left,
    top: margin.top,
    width: Math.max(160, barPitch * d),
    height: 240,
  };
  const max = Math.max(0, ...input.klPerDim.filter(Number.isFinite));
  const y1 = max > 0 ? max * 1.08 : 1;
  const py = (v: number) => rect.top + rect.height - (v / y1) * rect.height;
  const pitch = rect.width / Math.max(d, 1);
  const stride = tickStride(pitch, textWidth(`z [${d - 1}]`));
  const theme = themeOf(options);
  const axes = svgAxes({
    rect,
    xTicks: input.klPerDim.map((_, i) => ({
      at: rect.left + (i + 0.5) * pitch,
      label: i % stride === 0 ? `z [${i}]` : '',
    })),
    yTicks: niceTicks(0, y1).map((v) => ({ at: py(v), label: formatTick(v) })),
    xLabel: 'latent dimension',
    yLabel: 'KL (nats)',
    theme,
    grid: false,
  });
  const body = [axes[0] as string];
  const [r, g, b] = colormapRgb('viridis', 0.35);
  input.klPerDim.forEach((v, i) => {
    const h = Number.isFinite(v) ? Math.max(0, rect.top + rect.height - py(v)) : 0;
    body.push(
      `<rect class="bar" data-dim="${i}" x="${num(rect.left + i * pitch + pitch * 0.15)}" y="${num(rect.top + rect.height - h)}" width="${num(pitch * 0.7)}" height="${num(h)}" fill="rgb(${r},${g},${b})"/>`,
    );
  });
  body.push(...axes.slice(1));
  return svgDocument(
    rect.left + rect.width + margin.right,
    rect.top + rect.height + margin.bottom,
    options,
    body,
    'KL per latent dimension',
  );
}

/** Images decoded along the line from one test image's z_mu to another's, captioned with t ∈ [0, 1]. */
export function interpolationSvg(
  input: {
    images: Uint8Array;
    count: number;
    imageShape: ImageShape;
    colormap?: ColormapName;
    /** Names of the two ends, e.g. "#12 (7)" and "#40 (1)". */
    ends?: [string, string];
  },
  options: FigureOptions = {},
): FigureSvg {
  return imageRowsSvg(
    {
      rows: [{ images: input.images, count: input.count }],
      imageShape: input.imageShape,
      columnLabels: linspace(0, 1, input.count).map((t) => formatTick(Math.round(t * 100) / 100)),
      title: input.ends ? `Interpolation from ${input.ends[0]} to ${input.ends[1]}` : 'Interpolation',
      ...(input.colormap ? { colormap: input.colormap } : {}),
    },
    options,
  );
}

/**
 * Images decoded with latent dimensions swept over [−range, range], one row
 * per dimension named `z [dim]`, the columns captioned with the values.
 */
export function traversalSvg(
  input: {
    /** `dims.length` rows of `count` images each, in the order of `dim`. */
    images: Uint8Array;
    /** Images per row (steps of the sweep). */
    count: number;
    /** The dimension swept, or one per row. */
    dim: number | readonly number[];
    range: number;
    imageShape: ImageShape;
    colormap?: ColormapName;
  },
  options: FigureOptions = {},
): FigureSvg {
  const dims = typeof input.dim === 'number' ? [input.dim] : [...input.dim];
  const size = input.imageShape.height * input.imageShape.width * input.imageShape.channels;
  const rows: ImageRow[] = dims.map((d, r) => ({
    name: `z [${d}]`,
    images: input.images.subarray(r * input.count * size, (r + 1) * input.count * size),
    count: input.count,
  }));
  return imageRowsSvg(
    {
      rows,
      imageShape: input.imageShape,
      columnLabels: linspace(-input.range, input.range, input.count).map((v) =>
        (Math.round(v * 10) / 10).toFixed(1),
      ),
      title: `Traversal of ${dims.map((d) => `z [${d}]`).join(', ')} over [−${input.range}, ${input.range}]`,
      ...(input.colormap ? { colormap: input.colormap } : {}),
    },
    options,
  );
}
