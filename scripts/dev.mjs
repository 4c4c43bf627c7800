// `npm run dev`: the renderer from Vite's dev server with hot reload, the main
// process recompiled by `tsc --watch` and restarted on change. Without an
// Electron binary or a display, the same loop runs browser mode behind Vite.
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';

const require = createRequire(import.meta.url);
const { electronBinary } = require('./electron-binary.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distNode = path.join(root, 'dist', 'node');

const tsc = spawn(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.node.json', '--watch', '--preserveWatchOutput'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
await build({ configFile: path.join(root, 'vite.preload.config.mts'), logLevel: 'warn' });
await waitFor(path.join(distNode, 'src-main', 'cli.js'));

const binary = electronBinary();
const desktop =
  binary.path !== null &&
  (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

let child = null;
let restart;
if (desktop) {
  const vite = await createServer({ configFile: path.join(root, 'vite.config.mts') });
  await vite.listen();
  const url = vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/';
  restart = () => {
    child?.kill();
    child = spawn(binary.path, [root], {
      stdio: 'inherit',
      env: { ...process.env, VITE_DEV_SERVER_URL: url },
    });
  };
} else {
  const apiPort = 6151;
  const token = crypto.randomBytes(24).toString('base64url');
  const vite = await createServer({
    configFile: path.join(root, 'vite.config.mts'),
    server: { proxy: { '/api': { target: `ws://127.0.0.1:${apiPort}`, ws: true } } },
  });
  await vite.listen();
  const url = new URL(vite.resolvedUrls?.local[0] ?? 'http://127.0.0.1:5173/');
  console.log(
    `No Electron window here (${binary.path === null ? binary.reason : 'no display'}), so dev runs browser mode: ` +
      `${url.origin}/?token=${token}`,
  );
  restart = () => {
    child?.kill();
    child = spawn(
      process.execPath,
      [
        path.join(root, 'bin', 'vae-studio.js'),
        'serve',
        '--port',
        String(apiPort),
        '--allow-origin',
        url.origin,
      ],
      { stdio: 'inherit', env: { ...process.env, VAE_STUDIO_TOKEN: token } },
    );
  };
}
restart();
let timer;
fs.watch(distNode, { recursive: true }, () => {
  clearTimeout(timer);
  timer = setTimeout(restart, 300);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child?.kill();
    tsc.kill();
    process.exit(0);
  });
}

async function waitFor(file) {
  while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 200));
}
