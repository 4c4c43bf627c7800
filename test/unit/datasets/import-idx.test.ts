import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fashionMnistClassNames } from '../../../shared/class-names';
import { DatasetError } from '../../../src-main/datasets/errors';
import { datasetHash } from '../../../src-main/datasets/hash';
import { idxRoleOf, importIdx } from '../../../src-main/datasets/import-idx';
import { loadDataset } from '../../../src-main/datasets/store';
import { encodeIdx, tempDir, writeTinyIdxSet } from '../../fixtures/datasets/idx-fixtures';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('idxRoleOf', () => {
  it('recognises MNIST, Fashion-MNIST and EMNIST names', () => {
    expect(idxRoleOf('train-images-idx3-ubyte.gz')).toBe('trainImages');
    expect(idxRoleOf('train-labels-idx1-ubyte')).toBe('trainLabels');
    expect(idxRoleOf('t10k-images-idx3-ubyte')).toBe('testImages');
    expect(idxRoleOf('t10k-labels-idx1-ubyte.gz')).toBe('testLabels');
    expect(idxRoleOf('train-images.idx3-ubyte')).toBe('trainImages');
    expect(idxRoleOf('emnist-digits-test-labels-idx1-ubyte.gz')).toBe('testLabels');
    expect(idxRoleOf('README.md')).toBeUndefined();
    expect(idxRoleOf('images-idx3-ubyte')).toBeUndefined();
  });
});

describe('importIdx', () => {
  let src: string;
  let dataDir: string;
  beforeEach(async () => {
    src = await tempDir();
    dataDir = await tempDir();
  });
  afterEach(async () => {
    await rm(src, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('imports a folder of IDX files (gzip and plain) and loads the same bytes back', async () => {
    const tiny = await writeTinyIdxSet(src);
    const result = await importIdx({ dataDir, name: 'tiny', paths: [src] });
    expect(result.skipped).toBe(0);
    expect(result.info).toMatchObject({
      name: 'tiny',
      source: 'idx',
      trainCount: 5,
      testCount: 2,
      height: 3,
      width: 4,
      channels: 1,
      labels: ['0', '1', '2'],
    });
    const loaded = await loadDataset({ name: 'tiny', dataDir });
    expect(loaded.info).toEqual(result.info);
    expect(Array.from(loaded.train.images)).toEqual(Array.from(tiny.train.images));
    expect(Array.from(loaded.train.labels)).toEqual(Array.from(tiny.train.labels));
    expect(Array.from(loaded.test.images)).toEqual(Array.from(tiny.test.images));
    expect(Array.from(loaded.test.labels)).toEqual(Array.from(tiny.test.labels));
    expect(result.info.hash).toBe(
      await datasetHash({
        height: 3,
        width: 4,
        channels: 1,
        train: { ...tiny.train, count: 5 },
        test: { ...tiny.test, count: 2 },
      }),
    );
    expect(await readdir(join(dataDir, 'datasets'))).toEqual(['tiny']);
  });

  it('imports the four files given in any order', async () => {
    const tiny = await writeTinyIdxSet(src);
    const [a, b, c, d] = tiny.files as [string, string, string, string];
    const result = await importIdx({ dataDir, name: 'four', paths: [d, b, a, c] });
    expect(result.info).toMatchObject({ trainCount: 5, testCount: 2 });
  });

  it('refuses a taken name, the reserved mnist, and an unsafe name', async () => {
    await writeTinyIdxSet(src);
    await importIdx({ dataDir, name: 'tiny', paths: [src] });
    const again = await rejection(importIdx({ dataDir, name: 'TINY', paths: [src] }));
    expect(again.code).toBe('conflict');
    expect(again.message).toContain('A dataset named "tiny" already exists');
    const reserved = await rejection(importIdx({ dataDir, name: 'MNIST', paths: [src] }));
    expect(reserved.code).toBe('conflict');
    expect(reserved.message).toContain('reserved');
    const unsafe = await rejection(importIdx({ dataDir, name: '../evil', paths: [src] }));
    expect(unsafe.code).toBe('invalid_input');
  });

  it('names a missing file of the four', async () => {
    const tiny = await writeTinyIdxSet(src);
    await rm(tiny.files[3] as string);
    const error = await rejection(importIdx({ dataDir, name: 'x', paths: [src] }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('No file of test labels');
  });

  it('rejects a truncated file and leaves nothing behind', async () => {
    const tiny = await writeTinyIdxSet(src);
    await writeFile(tiny.files[2] as string, encodeIdx([2, 3, 4], tiny.test.images).subarray(0, 20));
    const error = await rejection(importIdx({ dataDir, name: 'cut', paths: [src] }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('t10k-images-idx3-ubyte is truncated');
    expect(existsSync(join(dataDir, 'datasets', 'cut'))).toBe(false);
    const left = existsSync(join(dataDir, 'datasets')) ? await readdir(join(dataDir, 'datasets')) : [];
    expect(left).toEqual([]);
  });

  it('rejects train images and labels whose counts disagree', async () => {
    const tiny = await writeTinyIdxSet(src);
    await writeFile(tiny.files[1] as string, encodeIdx([4], [0, 1, 2, 0]));
    const error = await rejection(importIdx({ dataDir, name: 'x', paths: [src] }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(
      'train-images-idx3-ubyte.gz has 5 images but train-labels-idx1-ubyte.gz has 4 labels',
    );
  });

  it('rejects train and test images of different sizes', async () => {
    const tiny = await writeTinyIdxSet(src);
    await writeFile(tiny.files[2] as string, encodeIdx([2, 4, 3], tiny.test.images));
    const error = await rejection(importIdx({ dataDir, name: 'x', paths: [src] }));
    expect(error.message).toContain('differ in size');
  });

  const fashion = existsSync(FASHION_DIR);
  it.skipIf(!fashion)(
    fashion
      ? 'imports Fashion-MNIST from /usr/share/datasets/fashion-mnist'
      : 'imports Fashion-MNIST (skipped: /usr/share/datasets/fashion-mnist is absent; install the Debian package dataset-fashion-mnist)',
    async () => {
      const result = await importIdx({ dataDir, name: 'fashion', paths: [FASHION_DIR] });
      expect(result.info).toMatchObject({
        trainCount: 60000,
        testCount: 10000,
        height: 28,
        width: 28,
        channels: 1,
      });
      // Recognised by the published MD5s of its label files.
      expect(result.info.labels).toEqual([...fashionMnistClassNames]);
      const loaded = await loadDataset({ name: 'fashion', dataDir });
      // The first train and test items of Fashion-MNIST are both ankle boots (9).
      expect(loaded.train.labels[0]).toBe(9);
      expect(loaded.test.labels[0]).toBe(9);
    },
  );
});
