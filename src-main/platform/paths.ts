import * as os from 'node:os';
import * as path from 'node:path';

/** Folder name of the app's data; Electron derives `userData` from the product name. */
export const productName = 'VAE Studio';

/**
 * The folder Electron's `app.getPath('userData')` returns, computed without
 * Electron so the CLI and browser mode share the desktop app's data.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', productName);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), productName);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), productName);
  }
}

/** `--data-dir`, else `VAE_STUDIO_DATA_DIR`, else the default folder. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.VAE_STUDIO_DATA_DIR;
  return chosen ? path.resolve(chosen) : defaultDataDir(env);
}
