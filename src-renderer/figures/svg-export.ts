import type { FigureSvg } from '../../shared/figures/svg';
import { downloadBlob } from './canvas';

/**
 * Saving the shared SVG figures from the page: the SVG text as it is, or
 * rasterised by the browser at the size the SVG declares (figure units ×
 * scale). The drawing is the report export's (shared/figures); only the
 * rasteriser differs (Chromium here, librsvg through sharp there).
 */

export function downloadSvg(figure: FigureSvg, filename: string): void {
  downloadBlob(new Blob([figure.svg], { type: 'image/svg+xml' }), `${filename}.svg`);
}

/** PNG of a figure; null when the browser cannot decode or encode it. */
export async function svgToPng(figure: FigureSvg): Promise<Blob | null> {
  const url = URL.createObjectURL(new Blob([figure.svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = figure.width;
    canvas.height = figure.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    // The SVG keeps its digits crisp itself (image-rendering: pixelated); no smoothing on top.
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, figure.width, figure.height);
    return await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function downloadSvgAsPng(figure: FigureSvg, filename: string): Promise<boolean> {
  const blob = await svgToPng(figure);
  if (!blob) return false;
  downloadBlob(blob, `${filename}.png`);
  return true;
}
