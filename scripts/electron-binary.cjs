'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * Where Electron's binary is, without triggering its download (electron ≥ 42
 * downloads on first `require('electron')`). `{ path: null, reason }` when it
 * is missing.
 * @returns {{ path: string | null, reason: string }}
 */
function electronBinary() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    if (fs.existsSync(candidate)) return { path: candidate, reason: '' };
  }
  const pathFile = path.join(dir, 'path.txt');
  if (!fs.existsSync(pathFile)) {
    return {
      path: null,
      reason: 'its binary was never downloaded (electron 42+ fetches it on first launch)',
    };
  }
  const candidate = path.join(dir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(candidate)
    ? { path: candidate, reason: '' }
    : { path: null, reason: `${candidate} is missing` };
}

module.exports = { electronBinary };
