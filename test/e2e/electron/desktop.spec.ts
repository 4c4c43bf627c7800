import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary } from '../../../scripts/electron-binary.cjs';
import { contentSecurityPolicy } from '../../../shared/csp';

// Runs where an Electron binary exists (a developer's machine with internet,
// or after `npx install-electron`). Elsewhere each test is reported as
// skipped, with the reason — never as passed.
const binary = electronBinary();
const root = path.resolve(__dirname, '..', '..', '..');

test.skip(binary.path === null, `No Electron binary on this machine: ${binary.reason}`);

test('the desktop window opens with security defaults and shows the About view', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-electron-'));
  const app = await electron.launch({
    executablePath: binary.path ?? undefined,
    args: [root],
    env: { ...process.env, VAE_STUDIO_DATA_DIR: dataDir },
  });
  const page = await app.firstWindow();
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  // Served from the app scheme (a real origin, not file:), with the app's policy on every file.
  expect(page.url()).toMatch(/^app:\/\/vae-studio\/index\.html(#.*)?$/);
  expect(
    await page.evaluate(async () => {
      const response = await fetch(location.href);
      return [response.headers.get('content-security-policy'), response.headers.get('content-type')];
    }),
  ).toEqual([contentSecurityPolicy, 'text/html; charset=utf-8']);
  // No Node in the page (nodeIntegration off, sandboxed), and only the fixed API object from the preload.
  expect(
    await page.evaluate(() => [
      typeof (globalThis as { require?: unknown }).require,
      typeof (globalThis as { process?: unknown }).process,
      Object.keys((globalThis as { vaeStudio?: object }).vaeStudio ?? {}).sort(),
    ]),
  ).toEqual(['undefined', 'undefined', ['call', 'on']]);
  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByTestId('about-shell')).toHaveText('Desktop app');
  await expect(page.getByTestId('about-data-dir')).toHaveText(dataDir);
  // Navigation away from the app is refused.
  for (const target of ['https://example.com/', 'file:///etc/hostname', 'app://other-host/index.html']) {
    await page.evaluate((url) => {
      window.location.href = url;
    }, target);
    await expect(page.getByTestId('about-shell')).toHaveText('Desktop app');
    expect(page.url()).toMatch(/^app:\/\/vae-studio\/index\.html/);
  }
  await app.close();
});
