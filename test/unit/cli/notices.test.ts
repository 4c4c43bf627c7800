import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src-main/cli';
import { tempDir } from '../../fixtures/datasets/idx-fixtures';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('command line notices', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('vae-cli-notices-');
    // 11 files, 4 of which are not images or cannot be decoded: the replay of the finding.
    for (const label of ['a', 'b']) await mkdir(join(root, 'src', label), { recursive: true });
    for (let i = 0; i < 7; i++) {
      await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: i, g: i, b: i } } })
        .png()
        .toFile(join(root, 'src', i < 4 ? 'a' : 'b', `ok-${i}.png`));
    }
    for (const name of ['a/bad-1.png', 'a/notes.txt', 'b/bad-3.png', 'b/photo.gif']) {
      await writeFile(join(root, 'src', name), 'not an image');
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints the warning about skipped files of a folder import on stderr, one line', async () => {
    const dataDir = join(root, 'data');
    const { code, stdout, stderr } = await run(
      'datasets',
      'import',
      '--folder',
      join(root, 'src'),
      '--name',
      'mixed',
      '--size',
      '8',
      '--data-dir',
      dataDir,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mixed +folder +\d+ train +\d+ test {2}8×8×1 {2}2 labels/);
    expect(stderr).toBe(
      'warning: Imported "mixed" without 4 unreadable file(s), e.g. a/bad-1.png, b/bad-3.png, a/notes.txt (not a PNG or JPEG file).\n',
    );
  });
});
