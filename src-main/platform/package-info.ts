import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project's root folder (where package.json lives), from source or from dist/. */
export function findAppRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'vae-studio') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json of vae-studio not found above ${start}`);
    dir = parent;
  }
}

let cachedVersion: string | undefined;

/** The app's version from package.json. */
export function appVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(fs.readFileSync(path.join(findAppRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

/** The built renderer (index.html and assets), or null when it has not been built. */
export function rendererDir(): string | null {
  const dir = path.join(findAppRoot(), 'dist', 'renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}
