import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { expect, test } from '../fixtures';
import { writeColourPng } from '../../fixtures/datasets/image-fixtures';
import { waitCompleted } from './studio-helpers';

// The remote-server user's path: a folder of PNGs on this computer is uploaded from the
// browser, imported on the server with class names, and trained.

test('a folder uploaded from the browser imports with its class names and trains', async ({ page, app }) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-upload-'));
  const folder = path.join(root, 'colours');
  const colours = { blue: [0, 0, 255], green: [0, 200, 0], red: [255, 0, 0] } as const;
  for (const [name, [r, g, b]] of Object.entries(colours)) {
    mkdirSync(path.join(folder, name), { recursive: true });
    for (let i = 0; i < 12; i++) {
      await writeColourPng({ file: path.join(folder, name, `${i}.png`), r: r ^ i, g: g ^ i, b: b ^ i });
    }
  }
  try {
    await page.goto(app.url);
    await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
    await page.getByRole('link', { name: 'New run' }).click();
    await page.getByTestId('preset-keras-blog').click();
    await page.getByTestId('dataset-import-toggle').click();
    await page.getByTestId('dataset-import-kind-folder').click();
    await page.getByTestId('dataset-upload-folder').setInputFiles(folder);
    await expect(page.getByTestId('dataset-upload-chosen')).toContainText('36 files');
    await page.getByTestId('dataset-import-name').fill('uploaded');
    await page.getByTestId('dataset-import-size').fill('8');
    await page.getByTestId('dataset-import-class-names').fill('Blue, Green, Red');
    await page.getByTestId('dataset-import-submit').click();
    await expect(page.getByTestId('dataset-select')).toHaveValue('uploaded', { timeout: 60_000 });
    await expect(page.getByTestId('dataset-import-error')).toHaveCount(0);
    await expect(page.getByTestId('dataset-class-names')).toHaveText('Blue, Green, Red');

    await page.getByTestId('hp-epochs').fill('1');
    await page.getByTestId('hp-batchSize').fill('8');
    await page.getByTestId('hp-trainLimit').fill('');
    await page.getByTestId('hp-testLimit').fill('');
    await page.getByTestId('run-name').fill('e2e uploaded');
    await expect(page.getByTestId('start-run')).toBeEnabled();
    await page.getByTestId('start-run').click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    await waitCompleted(page, 1);
    // The class names reach the scatter's legend.
    await expect(page.getByTestId('scatter-legend')).toContainText('Blue');
    await expect(page.getByTestId('scatter-legend')).toContainText('Red');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an upload that is not a dataset is refused with a sentence, leaving nothing', async ({ page, app }) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-upload-'));
  const folder = path.join(root, 'loose');
  mkdirSync(folder);
  await writeColourPng({ file: path.join(folder, 'only.png'), r: 1, g: 2, b: 3 });
  try {
    await page.goto(app.url);
    await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
    await page.getByRole('link', { name: 'New run' }).click();
    await page.getByTestId('dataset-import-toggle').click();
    await page.getByTestId('dataset-import-kind-folder').click();
    await page.getByTestId('dataset-upload-folder').setInputFiles(folder);
    await page.getByTestId('dataset-import-name').fill('loose');
    await page.getByTestId('dataset-import-submit').click();
    await expect(page.getByTestId('dataset-import-error')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('dataset-select').locator('option', { hasText: 'loose' })).toHaveCount(0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder zipped on this computer uploads as one file and imports', async ({ page, app }) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-zip-'));
  const files: Record<string, Uint8Array> = {};
  for (const [name, value] of [
    ['dark', 20],
    ['light', 230],
  ] as const) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const file = path.join(root, name, `${i}.png`);
      await writeColourPng({ file, r: value, g: value ^ i, b: value });
      files[`shades/${name}/${i}.png`] = new Uint8Array(readFileSync(file));
    }
  }
  const zip = path.join(root, 'shades.zip');
  writeFileSync(zip, zipSync(files));
  expect(readdirSync(root)).toContain('shades.zip');
  try {
    await page.goto(app.url);
    await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
    await page.getByRole('link', { name: 'New run' }).click();
    await page.getByTestId('dataset-import-toggle').click();
    await page.getByTestId('dataset-import-kind-folder').click();
    await page.getByTestId('dataset-upload-zip').setInputFiles(zip);
    await expect(page.getByTestId('dataset-upload-chosen')).toContainText('1 file');
    await page.getByTestId('dataset-import-name').fill('shades');
    await page.getByTestId('dataset-import-size').fill('8');
    await page.getByTestId('dataset-import-submit').click();
    await expect(page.getByTestId('dataset-select')).toHaveValue('shades', { timeout: 60_000 });
    await expect(page.getByTestId('dataset-import-error')).toHaveCount(0);
    await expect(page.getByTestId('dataset-class-names')).toHaveText('dark, light');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
