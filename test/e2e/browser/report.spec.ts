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
    await expect(page.locator('table.hyperparams tr')).toHaveCount(13);
    // An empty setting says what empty means.
    await expect(
      page.locator('table.hyperparams tr', { hasText: 'threads' }).locator('td').nth(1),
    ).toHaveText('every core');
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

test('the compare report shows the overlaid losses, what differs and both runs side by side, and every image in it loads', async ({
  page,
}) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-compare-report-'));
  try {
    const train = (name: string, ...flags: string[]) =>
      (
        JSON.parse(
          cli([
            'train',
            '--data-dir',
            dataDir,
            '--preset',
            'keras-blog',
            '--train-limit',
            '512',
            '--test-limit',
            '256',
            '--epochs',
            '2',
            '--name',
            name,
            '--json',
            ...flags,
          ]).replace(/^[^{]*/, ''),
        ) as { runId: string }
      ).runId;
    const a = train('β = 1');
    const b = train('β = 4 & z 3', '--beta', '4', '--latent-dim', '3');
    const out = path.join(dataDir, 'compare');
    cli(['runs', 'export', a, b, '--data-dir', dataDir, '--out', out]);

    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(path.join(out, 'report.html')).href);
    await expect(page.locator('h1')).toHaveText('Comparison of 2 runs');
    await expect(page.locator('tr.differs th')).toHaveText(['latentDim ', 'beta ']);
    await expect(page.locator('table.compare-metrics tr[data-run]')).toHaveCount(2);
    // The loss figure, then 7 figures × 2 runs side by side.
    const figures = ['gallery', 'manifold', 'latent', 'kl', 'prior', 'interpolation', 'traversal'];
    await expect(page.locator('img')).toHaveCount(1 + figures.length * 2);
    // Each figure row holds one column per run, in the order named on the command line.
    for (const f of figures)
      expect(
        await page
          .locator(`section#${f} figure`)
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-run'))),
        f,
      ).toEqual([a, b]);

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
      [
        'loss.png',
        'loss.svg',
        ...[a, b].flatMap((id) => figures.flatMap((f) => [`${id}/${f}.png`, `${id}/${f}.svg`])),
      ].sort(),
    );
    for (const [src, w, h] of loaded) {
      expect.soft(w, src).toBeGreaterThan(50);
      expect.soft(h, src).toBeGreaterThan(20);
    }
    // Drawn on the page, not only decodable: each shown image has a laid-out, non-zero box.
    const boxes = await page
      .locator('img')
      .evaluateAll((imgs) =>
        imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
      );
    expect(boxes.every(Boolean)).toBe(true);
    expect(failed).toEqual([]);
    await page.screenshot({
      path: path.join(os.tmpdir(), 'vae-compare-report-screenshot.png'),
      fullPage: true,
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
