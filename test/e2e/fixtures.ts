import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test as base } from '@playwright/test';

export interface ServedApp {
  /** URL printed by `vae-studio serve`, with its token. */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  process: ChildProcess;
}

const root = path.resolve(__dirname, '..', '..');

/** Starts `vae-studio serve` on a free port with its own data folder; resolves once it printed its URL. */
export async function startServe(dataDir: string): Promise<ServedApp> {
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'vae-studio.js'), 'serve', '--port', '0', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    process: child,
  };
}

/** Each test gets its own data folder and its own server. */
export const test = base.extend<{ app: ServedApp }>({
  // Playwright reads the fixtures a fixture needs from its first parameter: this one needs none.
  // eslint-disable-next-line no-empty-pattern
  app: async ({}, use) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-'));
    const app = await startServe(dataDir);
    await use(app);
    app.process.kill('SIGTERM');
    await new Promise((resolve) => app.process.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
