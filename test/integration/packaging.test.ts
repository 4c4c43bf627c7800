import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { listPackage } from '@electron/asar';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';

// Validates the installer configuration offline: electron-builder's own schema
// check, then a `--dir` build with a stand-in Electron (the real binary cannot
// be downloaded here) whose asar archive is listed and checked, and whose
// fuses must come out flipped.

const root = path.resolve(__dirname, '..', '..');
const require = createRequire(__filename);
const run = promisify(execFile);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-pack-'));

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Validate = (config: unknown, logger: unknown) => Promise<void>;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration: Validate;
};
// The validator only asks its logger whether debug logging is on.
const quietLogger = { isEnabled: false, add: () => undefined };
// electron-builder flips the fuses with its own copy of @electron/fuses.
const fuses = createRequire(require.resolve('app-builder-lib/package.json'))('@electron/fuses') as {
  FuseV1Options: Record<string, number>;
  getCurrentFuseWire: (binary: string) => Promise<Record<number, number>>;
};
const fuseSentinel = (
  createRequire(require.resolve('app-builder-lib/package.json'))('@electron/fuses/dist/constants') as {
    SENTINEL: string;
  }
).SENTINEL;
// A fuse byte: '0' off, '1' on (@electron/fuses' FuseState).
const [off, on] = ['0'.charCodeAt(0), '1'.charCodeAt(0)];
// Electron's own defaults, in wire order (FuseV1Options): run as node on,
// cookie encryption off, NODE_OPTIONS on, --inspect on, asar integrity off,
// only-asar off, browser V8 snapshot off, file: privileges on.
const electronDefaults = [on, off, on, on, off, off, off, on];

/**
 * An executable that holds a fuse wire the way Electron's binary does: the
 * sentinel, the wire version (1), its length, one byte per fuse.
 */
function standInElectron(): Buffer {
  return Buffer.concat([
    Buffer.from('#!/bin/sh\necho stand-in\nexit 0\n'),
    Buffer.from(fuseSentinel, 'ascii'),
    Buffer.from([1, electronDefaults.length, ...electronDefaults]),
    Buffer.from('\n'),
  ]);
}

const config = load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<
  string,
  unknown
>;

describe('electron-builder configuration', () => {
  it('passes the schema check, which rejects a misspelt key', async () => {
    await expect(validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, asarUnpak: [] }, quietLogger)).rejects.toThrow(
      /asarUnpak/,
    );
  });

  it('targets AppImage and deb on Linux and dmg on macOS, rebuilding native modules', () => {
    expect((config.linux as { target: string[] }).target).toEqual(['AppImage', 'deb']);
    expect((config.mac as { target: string[] }).target).toEqual(['dmg']);
    expect(config.npmRebuild).toBe(true);
  });

  it('sets the Electron fuses that lock the packaged app down', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs an asar holding the app and no sources, with native modules unpacked and the fuses flipped', async () => {
    const stand = path.join(work, 'electron-dist');
    fs.mkdirSync(path.join(stand, 'resources'), { recursive: true });
    fs.writeFileSync(path.join(stand, 'electron'), standInElectron(), { mode: 0o755 });
    fs.writeFileSync(path.join(stand, 'LICENSE'), 'stand-in');
    const out = path.join(work, 'out');
    await run(
      process.execPath,
      [
        require.resolve('electron-builder/cli.js'),
        '--linux',
        'dir',
        `-c.electronDist=${stand}`,
        // Rebuilding for Electron's ABI downloads Electron's headers: not possible offline.
        '-c.npmRebuild=false',
        `-c.directories.output=${out}`,
      ],
      { cwd: root, timeout: 240_000, env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } },
    );
    const resources = path.join(out, 'linux-unpacked', 'resources');
    const executable = path.join(out, 'linux-unpacked', 'vae-studio');
    expect(fs.existsSync(executable)).toBe(true);
    // The fuses in the packaged binary, by name; the V8 snapshot one is left as Electron ships it.
    const wire = await fuses.getCurrentFuseWire(executable);
    const { FuseV1Options: fuse } = fuses;
    expect(
      Object.fromEntries(
        Object.keys(fuse)
          .filter((name) => Number.isNaN(Number(name)))
          .map((name) => [
            name,
            wire[fuse[name] ?? -1] === on ? 'on' : wire[fuse[name] ?? -1] === off ? 'off' : '?',
          ]),
      ),
    ).toEqual({
      RunAsNode: 'off',
      EnableCookieEncryption: 'on',
      EnableNodeOptionsEnvironmentVariable: 'off',
      EnableNodeCliInspectArguments: 'off',
      EnableEmbeddedAsarIntegrityValidation: 'on',
      OnlyLoadAppFromAsar: 'on',
      LoadBrowserProcessSpecificV8Snapshot: 'off',
      GrantFileProtocolExtraPrivileges: 'off',
    });
    const files = new Set(
      listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/')),
    );
    for (const needed of [
      '/package.json',
      '/dist/node/src-main/index.js',
      '/dist/node/src-main/cli.js',
      '/dist/node/shared/contract.js',
      '/dist/preload/preload.cjs',
      '/dist/renderer/index.html',
      '/node_modules/zod/package.json',
      '/node_modules/ws/package.json',
    ]) {
      expect(files, needed).toContain(needed);
    }
    const listed = [...files];
    expect(
      listed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('/node_modules/')),
    ).toEqual([]);
    expect(
      listed.filter((f) => f.startsWith('/src-') || f.startsWith('/test/') || f.startsWith('/shared/')),
    ).toEqual([]);
    expect(listed.filter((f) => f.startsWith('/dist/') && f.endsWith('.map'))).toEqual([]);
    // devDependencies stay out of the app.
    for (const dev of ['/node_modules/vue', '/node_modules/electron', '/node_modules/vitest'])
      expect(files).not.toContain(dev);
    // Native and path-read files live beside the archive.
    const unpacked = path.join(resources, 'app.asar.unpacked');
    expect(
      fs.existsSync(
        path.join(unpacked, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
      ),
    ).toBe(true);
    expect(
      fs.existsSync(
        path.join(
          unpacked,
          'node_modules',
          '@tensorflow',
          'tfjs-backend-wasm',
          'dist',
          'tfjs-backend-wasm-simd.wasm',
        ),
      ),
    ).toBe(true);
    // Dawn for this platform only, unpacked (a native addon cannot load from inside an asar archive).
    const dawnDirs = path.join(unpacked, 'node_modules', 'webgpu', 'dist');
    expect(fs.readdirSync(dawnDirs)).toEqual([`linux-${process.arch}`]);
    expect(fs.existsSync(path.join(dawnDirs, `linux-${process.arch}`, 'dawn.node'))).toBe(true);
    // The archive lists unpacked files too: only this platform's Dawn is in it.
    expect(listed.filter((f) => f.endsWith('dawn.node'))).toEqual([
      `/node_modules/webgpu/dist/linux-${process.arch}/dawn.node`,
    ]);
  }, 300_000);
});
