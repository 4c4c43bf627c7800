import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../../shared/contract';
import { createCore, type Core } from '../../../src-main/core/core';

let core: Core | null = null;
let dataDir = '';

function open(choosePaths?: (kind: 'idx' | 'folder') => Promise<string[]>): Core {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-app-'));
  core = createCore({ dataDir, shell: choosePaths ? 'electron' : 'browser', version: '1.0.0', choosePaths });
  return core;
}

afterEach(async () => {
  await core?.close();
  core = null;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('app:choosePaths', () => {
  it('answers unavailable, with what to do instead, where the shell has no file dialog', async () => {
    const { dispatch } = open();
    const info = await dispatch('app:info', {});
    expect(info.ok && (info.value as AppInfo).canChoosePaths).toBe(false);
    expect(await dispatch('app:choosePaths', { kind: 'folder' })).toEqual({
      ok: false,
      error: {
        code: 'unavailable',
        message:
          'A file dialog needs the desktop app. Type the paths on the disk of the machine running VAE Studio instead.',
      },
    });
  });

  it("returns the shell's dialog's choice, and no paths when cancelled", async () => {
    const asked: string[] = [];
    const { dispatch } = open((kind) => {
      asked.push(kind);
      return Promise.resolve(
        kind === 'idx' ? ['/data/train-images-idx3-ubyte', '/data/t10k-labels-idx1-ubyte'] : [],
      );
    });
    const info = await dispatch('app:info', {});
    expect(info.ok && (info.value as AppInfo).canChoosePaths).toBe(true);
    expect(await dispatch('app:choosePaths', { kind: 'idx' })).toEqual({
      ok: true,
      value: { paths: ['/data/train-images-idx3-ubyte', '/data/t10k-labels-idx1-ubyte'] },
    });
    expect(await dispatch('app:choosePaths', { kind: 'folder' })).toEqual({ ok: true, value: { paths: [] } });
    expect(asked).toEqual(['idx', 'folder']);
  });

  it('rejects an unknown kind before any dialog opens', async () => {
    let opened = false;
    const { dispatch } = open(() => {
      opened = true;
      return Promise.resolve([]);
    });
    const result = await dispatch('app:choosePaths', { kind: 'zip' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(!result.ok && result.error.message).toContain('kind must be "idx" or "folder".');
    expect(opened).toBe(false);
  });
});
