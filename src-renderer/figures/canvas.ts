import { whenIdle } from '../lib/frame';
import type { RgbaImage } from './images';

/** Colours a figure draws its axes and text with, read from the theme. */
export interface FigureColors {
  background: string;
  text: string;
  muted: string;
  grid: string;
  accent: string;
}

/** The theme's colours from the CSS custom properties of the page. */
export function readFigureColors(element: Element = document.documentElement): FigureColors {
  const style = getComputedStyle(element);
  const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    background: get('--panel', '#ffffff'),
    text: get('--text', '#1b1f24'),
    muted: get('--muted', '#5b6470'),
    grid: get('--grid', '#e3e6ea'),
    accent: get('--accent', '#3b6fd8'),
  };
}

/** Device pixels per CSS pixel that figures are drawn at (the screen's, within 1–3). */
export function canvasRatio(): number {
  return Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
}

/**
 * Sizes a canvas's backing store for the device's pixel ratio and returns a
 * context that draws in CSS pixels; null where canvases are not available.
 */
export function fitCanvas(
  canvas: HTMLCanvasElement,
  cssWidth: number,
  cssHeight: number,
): CanvasRenderingContext2D | null {
  const ratio = canvasRatio();
  const w = Math.max(1, Math.round(cssWidth * ratio));
  const h = Math.max(1, Math.round(cssHeight * ratio));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

let scratch: HTMLCanvasElement | null = null;

/**
 * Draws RGBA pixels into a rectangle of a context, scaled: through a scratch
 * canvas, because putImageData ignores transforms and cannot scale.
 */
export function drawRgba(
  ctx: CanvasRenderingContext2D,
  image: RgbaImage,
  rect: { x: number; y: number; width: number; height: number },
): void {
  if (image.width === 0 || image.height === 0) return;
  scratch ??= document.createElement('canvas');
  scratch.width = image.width;
  scratch.height = image.height;
  const sctx = scratch.getContext('2d');
  if (!sctx) return;
  sctx.putImageData(
    new ImageData(image.data as Uint8ClampedArray<ArrayBuffer>, image.width, image.height),
    0,
    0,
  );
  const ratio = ctx.getTransform().a || 1;
  // Upscaling keeps pixels crisp like the notebook's imshow; downscaling smooths to avoid aliasing.
  ctx.imageSmoothingEnabled = rect.width * ratio < image.width;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(scratch, rect.x, rect.y, rect.width, rect.height);
}

/** Saves a blob under `filename` through an `<a download>` (a download in browser mode, a save in Electron). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves text (CSV, JSON) as a file. */
export function downloadText(text: string, filename: string, type = 'text/csv'): void {
  downloadBlob(new Blob([text], { type: `${type};charset=utf-8` }), filename);
}

/** A file name from free text: letters, digits, dashes. */
export function safeFileName(text: string): string {
  return (
    text
      .trim()
      .replace(/[^a-z0-9._-]+/gi, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'figure'
  );
}

/**
 * Exports a canvas as PNG on an opaque background (a transparent chart is
 * unreadable in most image viewers); resolves false when the canvas cannot encode.
 */
export function exportCanvasPng(
  canvas: HTMLCanvasElement,
  filename: string,
  background: string,
): Promise<boolean> {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) return Promise.resolve(false);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  return new Promise((resolve) => {
    out.toBlob((blob) => {
      if (!blob) return resolve(false);
      downloadBlob(blob, filename.endsWith('.png') ? filename : `${filename}.png`);
      resolve(true);
    }, 'image/png');
  });
}

/** The fonts the figures and the charts draw text with (see `registerCharts` for Chart.js's). */
export const canvasFonts = [
  '12px system-ui, sans-serif',
  'bold 12px system-ui, sans-serif',
  '11px system-ui, sans-serif',
  '10px system-ui, sans-serif',
] as const;

/**
 * Draws a little text in each canvas font, one font per idle moment. A font's
 * first use on a canvas costs 5–20 ms (lookup, fallback, shaping); done here,
 * that cost does not land in the frames that first show a run's charts.
 */
export function warmCanvasFonts(fonts: readonly string[] = canvasFonts): void {
  const ctx = globalThis.document?.createElement('canvas').getContext('2d');
  if (!ctx) return;
  let next = 0;
  const step = (): void => {
    const font = fonts[next++];
    if (font === undefined) return;
    ctx.font = font;
    ctx.fillText('0.123456789 −e+ loss epoch z [0]', 0, 12);
    whenIdle(step);
  };
  whenIdle(step);
}
