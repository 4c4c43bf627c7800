// `npm start`: open the desktop app; where Electron cannot run here (no binary
// and no way to download it, or no display), say so in one sentence and serve
// browser mode instead.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { electronBinary } = require('./electron-binary.cjs');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extraArgs = process.argv.slice(2);

function tryDownloadElectron() {
  let installer;
  try {
    installer = require.resolve('electron/install.js');
  } catch {
    return;
  }
  // Electron 42+ downloads its binary on first launch; a closed network fails within seconds.
  spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: 120_000 });
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function serveInstead(reason) {
  console.log(
    `${reason}, so VAE Studio is starting in browser mode instead: open the URL below in a browser.`,
  );
  const child = spawn(process.execPath, [path.join(root, 'bin', 'vae-studio.js'), 'serve', ...extraArgs], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

let binary = electronBinary();
if (binary.path === null) {
  tryDownloadElectron();
  binary = electronBinary();
}
if (binary.path === null) {
  serveInstead("Electron's binary is not installed and could not be downloaded here");
} else if (!hasDisplay()) {
  serveInstead('There is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset)');
} else {
  const child = spawn(binary.path, [root, ...extraArgs], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
