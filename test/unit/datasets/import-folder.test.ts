import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src-main/datasets/errors';
import { importFolder } from '../../../src-main/datasets/import-folder';
import { loadDataset } from '../../../src-main/datasets/store';
import type { DatasetSplit } from '../../../src-main/datasets/types';
import { tempDir } from '../../fixtures/datasets/idx-fixtures';
import { writeColourPng, writeImageFolder } from '../../fixtures/datasets/image-fixtures';
import type { FixtureImage } from '../../fixtures/datasets/image-fixtures';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function datasetError(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

async function datasetsLeft(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'datasets');
  return existsSync(dir) ? (await readdir(dir)).sort() : [];
}

/** Each image of a split as [label name, pixel value], checking that all its pixels are equal. */
function solidImages(args: { split: DatasetSplit; labels: string[]; pixels: number }): [string, number][] {
  const result: [string, number][] = [];
  for (let i = 0; i < args.split.count; i++) {
    const image = args.split.images.subarray(i * args.pixels, (i + 1) * args.pixels);
    const first = image[0] as number;
    expect(Math.max(...image) - Math.min(...image)).toBeLessThanOrEqual(2);
    result.push([args.labels[args.split.labels[i] as number] as string, first]);
  }
  return result;
}

describe('importFolder', () => {
  let root: string;
  let src: string;
  let images: FixtureImage[];
  beforeAll(async () => {
    root = await tempDir();
    src = join(root, 'src');
    images = await writeImageFolder(src);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function freshDataDir(): Promise<string> {
    const dir = join(root, `data-${Math.random().toString(36).slice(2)}`);
    await mkdir(dir);
    return dir;
  }

  it('imports labelled images of mixed sizes and modes, skips and names the corrupt one and the text file, and round-trips', async () => {
    const dataDir = await freshDataDir();
    const progress: [number, number][] = [];
    const result = await importFolder({
      dataDir,
      name: 'shapes',
      path: src,
      size: 5,
      channels: 1,
      seed: 1,
      onProgress: (done, total) => progress.push([done, total]),
    });
    // The hidden file is ignored; the text file is not an image but must not vanish without a word.
    expect(result.skipped).toBe(2);
    expect(result.skippedFiles).toEqual(['10/broken.png', '10/notes.txt (not a PNG or JPEG file)']);
    // 7 readable images: round(7/6) = 1 goes to test.
    expect(result.info).toMatchObject({
      trainCount: 6,
      testCount: 1,
      name: 'shapes',
      source: 'folder',
      height: 5,
      width: 5,
      channels: 1,
      labels: ['2', '10'],
    });
    expect(progress).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, 8]));

    const loaded = await loadDataset({ name: 'shapes', dataDir });
    expect(loaded.info).toEqual(result.info);
    expect(loaded.train.images.length).toBe(loaded.train.count * 25);
    const got = [
      ...solidImages({ split: loaded.train, labels: loaded.info.labels, pixels: 25 }),
      ...solidImages({ split: loaded.test, labels: loaded.info.labels, pixels: 25 }),
    ].sort((a, b) => a[1] - b[1]);
    expect(got.map(([label]) => label)).toEqual(images.map((i) => i.label));
    got.forEach(([, value], i) => {
      const image = images[i] as FixtureImage;
      if (image.lossy) expect(Math.abs(value - image.value)).toBeLessThanOrEqual(2);
      else expect(value).toBe(image.value);
    });
  });

  it('splits deterministically by seed', async () => {
    const dataDir = await freshDataDir();
    const a = await importFolder({ dataDir, name: 'a', path: src, size: 4, channels: 1, seed: 5 });
    const b = await importFolder({ dataDir, name: 'b', path: src, size: 4, channels: 1, seed: 5 });
    const c = await importFolder({ dataDir, name: 'c', path: src, size: 4, channels: 1, seed: 6 });
    expect(b.info.hash).toBe(a.info.hash);
    expect(c.info.hash).not.toBe(a.info.hash);
    const bytesA = await readFile(join(dataDir, 'datasets', 'a', 'test-images.bin'));
    const bytesB = await readFile(join(dataDir, 'datasets', 'b', 'test-images.bin'));
    expect(bytesB.equals(bytesA)).toBe(true);
  });

  it('converts to RGB when asked', async () => {
    const dataDir = await freshDataDir();
    const colours = join(root, 'colours');
    await mkdir(join(colours, 'red'), { recursive: true });
    await mkdir(join(colours, 'blue'), { recursive: true });
    await writeColourPng({ file: join(colours, 'red', '1.png'), r: 255, g: 0, b: 0 });
    await writeColourPng({ file: join(colours, 'blue', '1.png'), r: 0, g: 0, b: 255 });
    const result = await importFolder({ dataDir, name: 'rgb', path: colours, size: 4, channels: 3 });
    expect(result.info).toMatchObject({ channels: 3, labels: ['blue', 'red'], trainCount: 1, testCount: 1 });
    const loaded = await loadDataset({ name: 'rgb', dataDir });
    for (const split of [loaded.train, loaded.test]) {
      const expected = loaded.info.labels[split.labels[0] as number] === 'red' ? [255, 0, 0] : [0, 0, 255];
      expect(Array.from(split.images)).toEqual(Array.from({ length: 16 }, () => expected).flat());
    }
  });

  it('rejects a folder without images, and one with only loose images', async () => {
    const dataDir = await freshDataDir();
    const empty = join(root, 'empty');
    await mkdir(join(empty, 'some-label'), { recursive: true });
    const error = await datasetError(importFolder({ dataDir, name: 'e', path: empty, size: 8, channels: 1 }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('contains no PNG or JPEG images');
    await writeColourPng({ file: join(empty, 'loose.png'), r: 1, g: 2, b: 3 });
    const loose = await datasetError(importFolder({ dataDir, name: 'e', path: empty, size: 8, channels: 1 }));
    expect(loose.message).toContain('no label subfolders');
    expect(await datasetsLeft(dataDir)).toEqual([]);
  });

  it('rejects a folder whose images are all corrupt, naming some', async () => {
    const dataDir = await freshDataDir();
    const bad = join(root, 'bad');
    await mkdir(join(bad, 'x'), { recursive: true });
    await writeFile(join(bad, 'x', 'one.png'), 'nope');
    await writeFile(join(bad, 'x', 'two.jpg'), 'nope');
    const error = await datasetError(importFolder({ dataDir, name: 'bad', path: bad, size: 8, channels: 1 }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('None of the 2 images');
    expect(error.message).toContain('x/one.png');
  });

  it('reports a missing folder and a bad size', async () => {
    const dataDir = await freshDataDir();
    const missing = await datasetError(
      importFolder({ dataDir, name: 'm', path: join(root, 'missing'), size: 8, channels: 1 }),
    );
    expect(missing.code).toBe('not_found');
    const size = await datasetError(importFolder({ dataDir, name: 'm', path: src, size: 3, channels: 1 }));
    expect(size.code).toBe('invalid_input');
    expect(size.message).toContain('from 4 to 256');
  });

  it('leaves nothing behind when the import fails midway', async () => {
    const dataDir = await freshDataDir();
    const error = await rejection(
      importFolder({
        dataDir,
        name: 'halfway',
        path: src,
        size: 4,
        channels: 1,
        onProgress: (done) => {
          if (done === 3) throw new Error('cancelled by the test');
        },
      }),
    );
    expect((error as Error).message).toBe('cancelled by the test');
    expect(await datasetsLeft(dataDir)).toEqual([]);
  });

  it('fails with conflict and cleans up when the name is taken while importing', async () => {
    const dataDir = await freshDataDir();
    const error = await datasetError(
      importFolder({
        dataDir,
        name: 'race',
        path: src,
        size: 4,
        channels: 1,
        onProgress: (done) => {
          if (done === 1) {
            // Another import (or the user) creates the same folder after the name check.
            mkdirSync(join(dataDir, 'datasets', 'race'), { recursive: true });
            writeFileSync(join(dataDir, 'datasets', 'race', 'keep.txt'), 'theirs');
          }
        },
      }),
    );
    expect(error.code).toBe('conflict');
    expect(await datasetsLeft(dataDir)).toEqual(['race']);
    expect(await readdir(join(dataDir, 'datasets', 'race'))).toEqual(['keep.txt']);
  });
});
