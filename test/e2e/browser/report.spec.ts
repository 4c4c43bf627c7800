import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';

// The report folder of a real (short) training run, written by the CLI and
// opened from disk in Chromium the way a reader opens it: offline, file://.
const root = path.resolve(__dirname, '..', '..', '..');
const cli = (args: string[]) =>
  execFileSync(process.execPath, [path.join(root, 'bin', 'vae-studio.js'), ...args], { encoding: 'utf8' });

test('report.html shows the run, its hyperparameters, metrics and every figure, and every image in it loads', async ({
  page,
}) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-report-'));
  try {
    const trained = JSON.parse(
      cli([
        'train',
        '--data-dir',
        dataDir,
        '--preset',
        'keras-blog',
        '--epochs',
        '2',
        '--train-limit',
        '2000',
        '--test-limit',
        '500',
        '--name',
        'report <check> & co',
        '--json',
      ]).replace(/^[^{]*/, ''),
    ) as { runId: string };
    const runId = trained.runId;
    expect(runId).not.toBe('');
    const out = path.join(dataDir, 'report');
    cli(['runs', 'export', runId, '--data-dir', dataDir, '--out', out, '--epoch', '1']);

    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(path.join(out, 'report.html')).href);
    await expect(page.locator('h1')).toHaveText('report <check> & co');
    await expect(page.locator('table.hyperparams tr')).toHaveCount(12);
    await expect(page.locator('table.metrics tr')).toHaveCount(3);
    await expect(page.locator('tr.chosen td').first()).toHaveText('1');

    const images = page.locator('img');
    await expect(images).toHaveCount(8);
    // Every <img> of the page and every SVG it links to decodes to a picture of its declared size.
    const loaded = await page.evaluate(async () => {
      const srcs = [
        ...[...document.images].map((i) => i.getAttribute('src') ?? ''),
        ...[...document.querySelectorAll('a')]
          .map((a) => a.getAttribute('href') ?? '')
          .filter((h) => h.endsWith('.svg')),
      ];
      return Promise.all(
        srcs.map(
          (src) =>
            new Promise<[string, number, number]>((resolve) => {
              const img = new Image();
              img.onload = () => resolve([src, img.naturalWidth, img.naturalHeight]);
              img.onerror = () => resolve([src, 0, 0]);
              img.src = src;
            }),
        ),
      );
    });
    expect(loaded.map(([src]) => src).sort()).toEqual(
      ['gallery', 'interpolation', 'kl', 'latent', 'loss', 'manifold', 'prior', 'traversal']
        .flatMap((n) => [`${n}.png`, `${n}.svg`])
        .sort(),
    );
    for (const [src, w, h] of loaded) {
      expect.soft(w, src).toBeGreaterThan(100);
      expect.soft(h, src).toBeGreaterThan(50);
    }
    // The 20×20 manifold of 28-pixel digits at scale 2: at least 1,120 pixels wide.
    const manifold = loaded.find(([src]) => src === 'manifold.png');
    expect(manifold?.[1]).toBeGreaterThanOrEqual(1120);
    expect(failed).toEqual([]);
    await page.screenshot({ path: path.join(os.tmpdir(), 'vae-report-screenshot.png'), fullPage: true });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
