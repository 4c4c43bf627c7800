import { base64, encodePngRgba, type Deflate } from './png';
import type { RgbaImage } from './images';

/**
 * The building blocks of the figures as SVG text: one drawing that the
 * screen shows and downloads, and that the report export writes as SVG and
 * rasterises to PNG. Coordinates are in figure units (CSS pixels at scale 1,
 * one image pixel per unit); `scale` only multiplies the width and height.
 */

export const figureBackgrounds = ['light', 'dark', 'transparent'] as const;
export type FigureBackground = (typeof figureBackgrounds)[number];
/** Output scales: 1×, 2×, 3× the figure units; 2× by default. */
export const figureScales = [1, 2, 3] as const;
export const defaultFigureScale = 2;
export const figureFormats = ['png', 'svg'] as const;
export type FigureFormat = (typeof figureFormats)[number];

export interface FigureTheme {
  /** null: transparent. */
  background: string | null;
  text: string;
  muted: string;
  grid: string;
}

export const figureThemes: Record<FigureBackground, FigureTheme> = {
  light: { background: '#ffffff', text: '#1b1f24', muted: '#5b6470', grid: '#e3e6ea' },
  dark: { background: '#16191d', text: '#e6e8eb', muted: '#9aa3ad', grid: '#30363d' },
  // Dark text, as on the paper or page a transparent figure is usually placed on.
  transparent: { background: null, text: '#1b1f24', muted: '#5b6470', grid: '#d0d4da' },
};

/** Options every figure takes. */
export interface FigureOptions {
  background?: FigureBackground;
  /** Multiplies the output size (1, 2 or 3); 2 by default. */
  scale?: number;
  /** Compression of embedded pixel grids (node's zlib in the main process); stored otherwise. */
  deflate?: Deflate;
}

/** A drawn figure: the SVG text and its size in output pixels (figure units × scale). */
export interface FigureSvg {
  svg: string;
  width: number;
  height: number;
}

export const fontFamily = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
export const tickFontSize = 10;
export const labelFontSize = 12;

/** Text made safe for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number for an attribute: at most two decimals, no "-0". */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(Object.is(r, -0) ? 0 : r);
}

export function themeOf(options: FigureOptions): FigureTheme {
  return figureThemes[options.background ?? 'light'];
}

/** Wraps a figure's body: size, view box, font and the background. */
export function svgDocument(
  width: number,
  height: number,
  options: FigureOptions,
  body: string[],
  title: string,
): FigureSvg {
  const scale = options.scale ?? defaultFigureScale;
  const theme = themeOf(options);
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w * scale}" height="${h * scale}" viewBox="0 0 ${w} ${h}" font-family="${escapeXml(fontFamily)}" font-size="${tickFontSize}" fill="${theme.text}">`,
    `<title>${escapeXml(title)}</title>`,
    theme.background ? `<rect width="${w}" height="${h}" fill="${theme.background}"/>` : '',
    ...body,
    '</svg>',
  ];
  return { svg: out.filter((s) => s !== '').join('\n'), width: w * scale, height: h * scale };
}

/**
 * Pixels as an embedded PNG, one figure unit per pixel (or `pixelSize`),
 * scaled up nearest-neighbour by whatever draws it (never smoothed).
 */
export function svgImage(
  image: RgbaImage,
  x: number,
  y: number,
  options: FigureOptions,
  pixelSize = 1,
): string {
  if (image.width === 0 || image.height === 0) return '';
  const href = `data:image/png;base64,${base64(encodePngRgba(image, options.deflate))}`;
  return (
    `<image x="${num(x)}" y="${num(y)}" width="${num(image.width * pixelSize)}" height="${num(image.height * pixelSize)}"` +
    ` preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:crisp-edges;image-rendering:pixelated" href="${href}"/>`
  );
}

export function svgText(
  text: string,
  x: number,
  y: number,
  attrs: {
    anchor?: 'start' | 'middle' | 'end';
    size?: number;
    fill?: string;
    rotate?: boolean;
    baseline?: 'middle' | 'hanging';
  } = {},
): string {
  const a = [`x="${num(x)}"`, `y="${num(y)}"`];
  if (attrs.anchor && attrs.anchor !== 'start') a.push(`text-anchor="${attrs.anchor}"`);
  if (attrs.size) a.push(`font-size="${attrs.size}"`);
  if (attrs.fill) a.push(`fill="${attrs.fill}"`);
  // dy rather than dominant-baseline: librsvg and browsers agree on it.
  if (attrs.baseline === 'middle') a.push('dy="0.35em"');
  if (attrs.baseline === 'hanging') a.push('dy="0.8em"');
  if (attrs.rotate) a.push(`transform="rotate(-90 ${num(x)} ${num(y)})"`);
  return `<text ${a.join(' ')}>${escapeXml(text)}</text>`;
}

export interface AxisTick {
  /** Position along the axis in figure units. */
  at: number;
  /** Empty: a tick mark without a label. */
  label: string;
}

export interface PlotRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Frame, tick marks, tick labels and axis titles around a plot rectangle (as the screen's `drawAxes`). */
export function svgAxes(args: {
  rect: PlotRect;
  xTicks: AxisTick[];
  yTicks: AxisTick[];
  xLabel: string;
  yLabel: string;
  theme: FigureTheme;
  grid?: boolean;
}): string[] {
  const { rect, theme } = args;
  const bottom = rect.top + rect.height;
  const out: string[] = [];
  if (args.grid) {
    const lines = [
      ...args.xTicks.map((t) => `M${num(t.at)} ${num(rect.top)}V${num(bottom)}`),
      ...args.yTicks.map((t) => `M${num(rect.left)} ${num(t.at)}H${num(rect.left + rect.width)}`),
    ];
    out.push(`<path d="${lines.join('')}" stroke="${theme.grid}" stroke-width="1" fill="none"/>`);
  }
  out.push(
    `<rect x="${num(rect.left)}" y="${num(rect.top)}" width="${num(rect.width)}" height="${num(rect.height)}" fill="none" stroke="${theme.muted}" stroke-width="1"/>`,
  );
  const marks = [
    ...args.xTicks.map((t) => `M${num(t.at)} ${num(bottom)}v4`),
    ...args.yTicks.map((t) => `M${num(rect.left)} ${num(t.at)}h-4`),
  ];
  out.push(`<path d="${marks.join('')}" stroke="${theme.muted}" stroke-width="1" fill="none"/>`);
  out.push('<g class="x-ticks">');
  for (const t of args.xTicks)
    if (t.label) out.push(svgText(t.label, t.at, bottom + 6, { anchor: 'middle', baseline: 'hanging' }));
  out.push('</g>', '<g class="y-ticks">');
  for (const t of args.yTicks)
    if (t.label) out.push(svgText(t.label, rect.left - 6, t.at, { anchor: 'end', baseline: 'middle' }));
  out.push('</g>');
  out.push(
    `<g class="axis-labels" font-size="${labelFontSize}">`,
    svgText(args.xLabel, rect.left + rect.width / 2, bottom + 34, { anchor: 'middle' }),
    svgText(args.yLabel, 14, rect.top + rect.height / 2, { anchor: 'middle', rotate: true }),
    '</g>',
  );
  return out;
}

/** Advance widths of DejaVu Sans in em, for the characters tick labels are made of. */
const narrow: Record<string, number> = {
  '.': 0.318,
  ',': 0.318,
  '-': 0.361,
  ' ': 0.318,
  '[': 0.39,
  ']': 0.39,
  '#': 0.838,
};

/** Approximate width of a label in figure units (digits 0.636 em as in DejaVu Sans; others about 0.62 em). */
export function textWidth(text: string, size = tickFontSize): number {
  let em = 0;
  for (const c of text) em += narrow[c] ?? (c >= '0' && c <= '9' ? 0.636 : 0.62);
  return em * size;
}
