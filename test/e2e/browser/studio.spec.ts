import { readFileSync } from 'node:fs';
import { expect, test } from '../fixtures';
import {
  decodePng,
  download,
  mnistTestImage,
  scatterSpot,
  snap,
  startRun,
  tilePixels,
  waitCompleted,
} from './studio-helpers';

// The user's whole path in browser mode against the real core: short runs on
// the bundled MNIST (300 training and 200 test images, two epochs), trained on
// whichever backend the core picks. Every wait is on something the app shows.

const testCount = 200;

test('a short run trains live, then its figures can be explored and exported', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
  const runId = await startRun(page, { name: 'e2e short run' }, 'new-run.png');

  // Live: the run page opens at once, the per-batch chart fills while it trains, then the figures come.
  await expect(page.getByTestId('run-name-heading')).toHaveText('e2e short run');
  await expect(page.getByTestId('loss-chart')).not.toHaveAttribute('data-points', '0');
  await expect(page.getByTestId('scatter-canvas')).toHaveAttribute('data-epoch', /^[12]$/);
  await waitCompleted(page, 2);
  await expect(page.getByTestId('stop-run')).toHaveCount(0);
  await expect(page.getByTestId('progress-percent')).toHaveText('100 %');
  await expect(page.getByTestId('last-test-loss')).toHaveText(/^\d+(\.\d+)?$/);
  // Per epoch: loss, reconstruction and KL for train and test at two epochs.
  await page.getByTestId('loss-mode-epoch').click();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '12');

  // The figures of the last epoch: the whole test set in the scatter, the notebook's 20×20 manifold over ±2.
  const scatter = page.getByTestId('scatter-canvas');
  await expect(scatter).toHaveAttribute('data-points', String(testCount));
  await expect(page.getByTestId('epoch-value')).toHaveText('2');
  const manifold = page.getByTestId('manifold-canvas');
  await expect(manifold).toHaveAttribute('data-n', '20');
  await expect(manifold).toHaveAttribute('data-range', '2');
  await expect(page.getByTestId('gallery')).toHaveAttribute('data-offset', 'fixed');
  await expect(page.getByTestId('gallery')).toHaveAttribute('data-missing', '0');
  await snap(page, 'run.png');

  // Hovering a point shows its test image and its decoding; empty space shows only a decoding.
  const preview = page.getByTestId('hover-preview');
  const onPoint = await scatterSpot(page, 'point');
  await page.mouse.move(onPoint.x, onPoint.y);
  await expect(preview).toHaveAttribute('data-kind', 'point');
  await expect(preview).toHaveAttribute('data-state', 'ready');
  await expect(preview).toBeVisible();
  const caption = (await preview.locator('.caption').textContent())?.trim() ?? '';
  expect(caption).toMatch(/^#\d+ · \d$/);
  const [, index, label] = /^#(\d+) · (\d)$/.exec(caption) ?? [];
  expect(Number(index)).toBeLessThan(testCount);
  await expect(page.getByTestId('hover-original')).toBeVisible();
  await expect(page.getByTestId('hover-decoded')).toBeVisible();
  await expect(page.getByTestId('hover-original-missing')).toHaveCount(0);
  // Point i is test image i: the preview shows MNIST's own image and label for it.
  const truth = mnistTestImage(Number(index));
  expect(Number(label)).toBe(truth.label);
  expect(await tilePixels(page.getByTestId('hover-original'))).toEqual(truth.pixels);
  await snap(page, 'run-hover.png');

  const inSpace = await scatterSpot(page, 'space');
  await page.mouse.move(inSpace.x, inSpace.y);
  await expect(preview).toHaveAttribute('data-kind', 'space');
  await expect(preview).toHaveAttribute('data-state', 'ready');
  await expect(preview.locator('.caption')).toHaveText(/\(-?\d+\.\d\d, -?\d+\.\d\d\)/);
  await expect(page.getByTestId('hover-original')).toHaveCount(0);
  await page.mouse.move(0, 0);
  await expect(preview).toBeHidden();
  await expect(preview).toHaveAttribute('data-state', 'idle');

  // The manifold's range: typed, committed on change, re-decoded by the run's decoder.
  await page.getByTestId('manifold-range').fill('3.5');
  await page.getByTestId('manifold-range').press('Enter');
  await expect(manifold).toHaveAttribute('data-range', '3.5');
  await expect(manifold).toHaveAttribute('data-loading', 'false');
  await expect(manifold).toHaveAttribute('data-n', '20');
  await page.getByTestId('manifold-range').fill('20');
  await page.getByTestId('manifold-range').press('Enter');
  await expect(page.getByTestId('manifold-input-error')).toHaveText('Range must be a number from 0.1 to 10.');
  await expect(manifold).toHaveAttribute('data-range', '3.5');

  // The gallery pages through the test set with the real originals.
  await page.getByTestId('gallery-next').click();
  const gallery = page.getByTestId('gallery');
  await expect(gallery).toHaveAttribute('data-offset', '10');
  await expect(gallery).toHaveAttribute('data-shown', '10');
  await expect(gallery).toHaveAttribute('data-missing', '0');

  // PNG export of the gallery: the report's drawing (shared/figures) at the default scale 2:
  // 8 padding, 124 for the row names, ten 28-pixel tiles 2 apart; three rows and the column captions.
  const galleryPng = await download(page, 'export-png-gallery');
  expect(galleryPng.name).toBe('e2e-short-run-gallery-e2.png');
  const galleryImage = await decodePng(galleryPng.file);
  expect(galleryImage).toMatchObject({
    format: 'png',
    width: (8 + 124 + 10 * 30 - 2 + 8) * 2,
    height: (8 + 3 * 30 - 2 + 16 + 8) * 2,
  });
  expect(galleryImage.contrast).toBeGreaterThan(200);
  const gallerySvg = await download(page, 'export-svg-gallery');
  expect(gallerySvg.name).toBe('e2e-short-run-gallery-e2.svg');
  expect(readFileSync(gallerySvg.file, 'utf8')).toContain('>generator(z_mu)</text>');

  // PNG export of the manifold: every digit at twice its 28 pixels, whatever the screen size,
  // inside margins of 52 + 12 by 12 + 44 figure units.
  const n = Number(await manifold.getAttribute('data-n'));
  const manifoldPng = await download(page, 'export-png-manifold');
  expect(manifoldPng.name).toBe('e2e-short-run-manifold-e2.png');
  const manifoldImage = await decodePng(manifoldPng.file);
  expect(manifoldImage).toMatchObject({
    format: 'png',
    width: (52 + n * 28 + 12) * 2,
    height: (12 + n * 28 + 44) * 2,
  });
  expect(manifoldImage.contrast).toBeGreaterThan(200);

  // The metrics CSV: a header and one row per epoch.
  const csv = await download(page, 'export-csv');
  expect(csv.name).toBe('e2e-short-run-metrics.csv');
  expect(readFileSync(csv.file, 'utf8').trim().split('\n')).toHaveLength(3);

  // An earlier epoch through the slider.
  await page.getByTestId('epoch-slider').fill('0');
  await expect(page.getByTestId('epoch-value')).toHaveText('1');
  await expect(scatter).toHaveAttribute('data-epoch', '1');
  await expect(scatter).toHaveAttribute('data-points', String(testCount));
  expect(runId).toMatch(/^[0-9a-f-]{36}$/);
});

test('two runs are compared, then one is deleted', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
  // The second run queues behind the first: the worker trains one at a time.
  const first = await startRun(page, { name: 'e2e wide' });
  const second = await startRun(page, { name: 'e2e narrow', hidden: '128' });
  await waitCompleted(page, 2);

  await page.getByRole('link', { name: 'Runs' }).click();
  const rows = page.locator('[data-testid^="run-row-"]');
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId(`run-row-${first}`)).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId(`run-row-${second}`)).toHaveAttribute('data-status', 'completed');
  await expect(page.getByTestId(`run-link-${first}`)).toHaveText('e2e wide');
  await expect(page.getByTestId(`run-loss-${first}`)).toHaveText(/^\d+(\.\d+)?$/);
  await snap(page, 'runs.png');

  await page.getByTestId(`run-select-${first}`).check();
  await page.getByTestId(`run-select-${second}`).check();
  await page.getByTestId('compare-selected').click();
  await expect(page).toHaveURL(new RegExp(`#/compare\\?runs=${first},${second}$`));
  await expect(page.getByTestId('compare-chart')).toBeVisible();
  await expect(page.getByTestId('compare-table')).toContainText('e2e narrow');
  await page.getByTestId('compare-only-diff').check();
  await expect(page.locator('[data-testid^="compare-row-"]')).toHaveText([/^hidden\s*256\s*128$/]);
  await expect(page.getByTestId('compare-epoch-value')).toHaveText('2');
  for (const id of [first, second]) {
    await expect(page.getByTestId(`compare-manifold-${id}`)).toBeVisible();
    await expect(page.getByTestId(`compare-gallery-${id}`)).toBeVisible();
  }
  await snap(page, 'compare.png');

  // Delete asks first; Cancel keeps the run, OK removes it for good.
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.getByTestId(`run-delete-${second}`).click();
  await expect(page.getByTestId('confirm-dialog')).toBeVisible();
  await page.getByTestId('confirm-cancel').click();
  await expect(rows).toHaveCount(2);
  await page.getByTestId(`run-delete-${second}`).click();
  await page.getByTestId('confirm-ok').click();
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await expect(page.getByTestId(`run-row-${second}`)).toHaveCount(0);
  await expect(rows).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId(`run-row-${first}`)).toBeVisible();
  await expect(rows).toHaveCount(1);
  await page.goto(`${app.origin}/#/runs/${second}`);
  await expect(page.getByTestId('run-error')).toBeVisible();

  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByTestId('about-data-dir')).toHaveText(app.dataDir);
  await snap(page, 'about.png');
});
