import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, resolveDataDir } from '../../../src-main/platform/paths';

describe('data folder', () => {
  it("matches Electron's userData folder per platform", () => {
    const home = os.homedir();
    expect(defaultDataDir({}, 'linux')).toBe(path.join(home, '.config', 'VAE Studio'));
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux')).toBe(path.join('/x/cfg', 'VAE Studio'));
    expect(defaultDataDir({}, 'darwin')).toBe(
      path.join(home, 'Library', 'Application Support', 'VAE Studio'),
    );
  });

  it('prefers --data-dir, then VAE_STUDIO_DATA_DIR', () => {
    expect(resolveDataDir('/a/b', { VAE_STUDIO_DATA_DIR: '/c' })).toBe(path.resolve('/a/b'));
    expect(resolveDataDir(undefined, { VAE_STUDIO_DATA_DIR: '/c' })).toBe(path.resolve('/c'));
  });
});
