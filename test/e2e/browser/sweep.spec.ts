import { readFileSync } from 'node:fs';
import { expect, test } from '../fixtures';

// A sweep from the New run form to its view: the form counts the runs and
// refuses a value out of bounds, four tiny real runs train one at a time,
// then the view shows the table, the best run, the chart and the figure grid.
test('a 2×2 sweep is queued from the form, trains, and shows its chart and figure grid', async ({
  page,
  app,
}) => {
  await page.goto(app.url);
  await page.getByRole('link', { name: 'New run' }).click();
  await page.getByTestId('preset-keras-blog').click();
  await page.getByTestId('mode-sweep').check();
  await page.getByTestId('hp-epochs').fill('1');
  await page.getByTestId('hp-trainLimit').fill('192');
  await page.getByTestId('hp-testLimit').fill('96');
  await page.getByTestId('hp-hidden').fill('32');
  await page.getByTestId('run-name').fill('e2e sweep');

  await page.getByTestId('hp-beta').fill('0.5, 200');
  await expect(page.getByTestId('hp-beta-error')).toHaveText(
    'β (KL weight) must be a number from 0 to 100; 200 is not.',
  );
  await expect(page.getByTestId('start-run')).toBeDisabled();

  await page.getByTestId('hp-beta').fill('0.5, 1');
  await page.getByTestId('hp-latentDim').fill('2, 4');
  await expect(page.getByTestId('hp-beta-error')).toHaveCount(0);
  await expect(page.getByTestId('sweep-count')).toContainText('4 runs, about');
  await expect(page.getByTestId('start-run')).toHaveText('Queue 4 runs');
  await page.getByTestId('start-run').click();
  await page.waitForURL(/#\/sweeps\/[0-9a-f-]{36}$/);

  await expect(page.getByTestId('sweep-name')).toHaveText('e2e sweep');
  await expect(page.getByTestId('sweep-status')).toHaveAttribute('data-status', 'completed', {
    timeout: 50_000,
  });
  await expect(page.getByTestId('sweep-progress-text')).toHaveText('4 / 4 runs');
  await expect(page.locator('[data-testid^="sweep-row-"][data-status="completed"]')).toHaveCount(4);
  await expect(page.getByTestId('sweep-best')).toHaveCount(1);
  // Test loss against the latent dimension, one line per β: two lines of two points.
  await expect(page.getByTestId('sweep-chart')).toHaveAttribute('data-points', '4');
  await expect(page.getByTestId('sweep-chart')).toHaveAttribute('data-lines', '2');
  await expect(page.getByTestId('sweep-parallel')).toHaveAttribute('data-lines', '4');
  const grid = page.getByTestId('sweep-grid');
  await expect(grid).toHaveAttribute('data-cells', '4');
  await expect(grid).toHaveAttribute('data-epoch', '1');
  // The grid's cells hold drawn figures: dark and light pixels, not an empty canvas.
  const spread = await grid.evaluate((el: HTMLCanvasElement) => {
    const data = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
    let min = 255;
    let max = 0;
    for (let p = 0; p < data.length; p += 4) {
      min = Math.min(min, data[p]!);
      max = Math.max(max, data[p]!);
    }
    return max - min;
  });
  expect(spread).toBeGreaterThan(200);
  await page.getByTestId('sweep-figure').selectOption('scatter');
  await expect(grid).toHaveAttribute('data-figure', 'scatter');
  await page.screenshot({ path: test.info().outputPath('sweep.png'), fullPage: true });

  const download = page.waitForEvent('download');
  await page.getByTestId('sweep-export-csv').click();
  const csv = readFileSync(await (await download).path(), 'utf8')
    .trim()
    .split('\n');
  expect(csv[0]).toBe('job,latent-dim,beta,status,run_id,epochs,test_loss,test_recon,test_kl');
  expect(csv.slice(1).map((line) => line.split(',').slice(1, 4).join(','))).toEqual([
    '2,0.5,completed',
    '2,1,completed',
    '4,0.5,completed',
    '4,1,completed',
  ]);

  await page.getByRole('link', { name: 'Sweeps' }).click();
  await expect(page.getByTestId('sweeps-table')).toContainText('e2e sweep');
  await expect(page.getByTestId('sweeps-table')).toContainText('4 / 4');
});
