import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary } from '../../../scripts/electron-binary.cjs';

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
  const window = await app.firstWindow();
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    const win = BrowserWindow.getAllWindows()[0];
    const web = win?.webContents.getLastWebPreferences();
    return { contextIsolation: web?.contextIsolation, sandbox: web?.sandbox, nodeIntegration: web?.nodeIntegration };
  });
  expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
  expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
  await window.getByRole('link', { name: 'About' }).click();
  await expect(window.getByTestId('about-shell')).toHaveText('Desktop app');
  await expect(window.getByTestId('about-data-dir')).toHaveText(dataDir);
  // Navigation away from the app is refused.
  await window.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await expect(window.getByTestId('about-shell')).toHaveText('Desktop app');
  await app.close();
});
