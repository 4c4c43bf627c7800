import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '../fixtures';

const version = (
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

test('the app loads with its navigation', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  for (const label of ['New run', 'Runs', 'Compare', 'About']) {
    await expect(page.getByRole('link', { name: label })).toBeVisible();
  }
  await expect(page.locator('html')).toHaveAttribute('data-connected', 'true');
  // The token leaves the address bar once the page holds it.
  expect(new URL(page.url()).searchParams.get('token')).toBeNull();
  await page.screenshot({ path: test.info().outputPath('new-run.png') });
});

test('the About view shows real values read through the API', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByTestId('about-version')).toHaveText(`VAE Studio ${version}`);
  await expect(page.getByTestId('about-data-dir')).toHaveText(app.dataDir);
  await expect(page.getByTestId('about-shell')).toHaveText('Browser mode');
  await expect(page.getByTestId('backend-wasm')).toContainText('available');
  await expect(page.getByTestId('backend-cpu')).toContainText('available');
  await expect(page.getByTestId('backend-tensorflow')).toBeVisible();
  await expect(page.getByTestId('about-platform')).toContainText(process.arch);
  await page.screenshot({ path: test.info().outputPath('about.png') });
});

test('a page without the token is refused and says what to do', async ({ page, app }) => {
  await page.goto(`${app.origin}/#/about`);
  await expect(page.getByTestId('connection-error')).toContainText(
    'open the full URL printed by `vae-studio serve`',
  );
  await expect(page.locator('html')).toHaveAttribute('data-connected', 'false');
  await expect(page.getByTestId('about')).toHaveCount(0);
});

test('a WebSocket without the token, or with a wrong one, is refused', async ({ page, app }) => {
  await page.goto(`${app.origin}/#/about`);
  const outcome = (url: string) =>
    page.evaluate(
      (target) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(target);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      url,
    );
  const wsBase = app.origin.replace('http:', 'ws:');
  expect(await outcome(`${wsBase}/api`)).toBe('refused');
  expect(await outcome(`${wsBase}/api?token=not-the-token`)).toBe('refused');
  expect(await outcome(`${wsBase}/api?token=${app.token}`)).toBe('open');
});

test('a stale token from an earlier launch is refused with a readable message', async ({ page, app }) => {
  await page.goto(`${app.origin}/?token=from-yesterday#/about`);
  await expect(page.getByTestId('connection-error')).toContainText('the token is wrong or stale');
});

test('the runs list’s first page is asked for with the connection, once', async ({ page, app }) => {
  const sockets: string[] = [];
  const listsSent: string[] = [];
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framesent', ({ payload }) => {
      if (String(payload).includes('"command":"runs:list"')) listsSent.push(String(payload));
    });
  });
  await page.goto(`${app.url}#/runs`);
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  // The page's first script asked in the socket's URL; the runs store took that answer and
  // asked nothing itself (the snapshot worker's own connection carries no question).
  const first = sockets.map((url) => new URL(url).searchParams.get('first')).filter((f) => f !== null);
  expect(first.map((f) => JSON.parse(f) as unknown)).toEqual([
    { id: 0, command: 'runs:list', arg: { sort: 'createdAt', descending: true, limit: 100 } },
  ]);
  expect(listsSent).toEqual([]);

  // Elsewhere the connection asks nothing before the app does.
  sockets.length = 0;
  await page.goto(`${app.url}#/about`);
  await expect(page.getByTestId('about-version')).toBeVisible();
  expect(sockets.length).toBeGreaterThan(0);
  expect(sockets.filter((url) => new URL(url).searchParams.has('first'))).toEqual([]);
});
