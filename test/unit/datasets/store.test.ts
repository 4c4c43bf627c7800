import { mkdir, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src-main/datasets/errors';
import { importIdx } from '../../../src-main/datasets/import-idx';
import { MNIST_HASH } from '../../../src-main/datasets/mnist';
import { deleteDataset, listDatasets, loadDataset } from '../../../src-main/datasets/store';
import { tempDir, writeTinyIdxSet } from '../../fixtures/datasets/idx-fixtures';

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('dataset store', () => {
  let src: string;
  let dataDir: string;
  beforeEach(async () => {
    src = await tempDir();
    dataDir = await tempDir();
    await writeTinyIdxSet(src);
  });
  afterEach(async () => {
    await rm(src, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists only MNIST when nothing was imported', async () => {
    const list = await listDatasets(dataDir);
    expect(list.map((d) => d.name)).toEqual(['mnist']);
    expect(list[0]).toMatchObject({
      source: 'bundled',
      hash: MNIST_HASH,
      trainCount: 60000,
      testCount: 10000,
    });
  });

  it('lists MNIST first, then imported sets by name, skipping broken folders', async () => {
    await importIdx({ dataDir, name: 'zeta', paths: [src] });
    await importIdx({ dataDir, name: 'alpha', paths: [src] });
    await mkdir(join(dataDir, 'datasets', 'broken'));
    await writeFile(join(dataDir, 'datasets', 'broken', 'meta.json'), '{ not json');
    await mkdir(join(dataDir, 'datasets', 'no-meta'));
    await mkdir(join(dataDir, 'datasets', '.importing-half-done'));
    const list = await listDatasets(dataDir);
    expect(list.map((d) => d.name)).toEqual(['mnist', 'alpha', 'zeta']);
    expect(list[1]).toMatchObject({ source: 'idx', trainCount: 5, testCount: 2 });
  });

  it('reports unknown and unsafe names as not_found', async () => {
    for (const name of ['nope', '../../etc', 'broken']) {
      if (name === 'broken') {
        await mkdir(join(dataDir, 'datasets', 'broken'), { recursive: true });
      }
      const error = await rejection(loadDataset({ name, dataDir }));
      expect(error.code).toBe('not_found');
      expect(error.message).toContain(`There is no dataset named "${name}"`);
    }
  });

  it('refuses to load a dataset whose files were damaged', async () => {
    await importIdx({ dataDir, name: 'tiny', paths: [src] });
    await truncate(join(dataDir, 'datasets', 'tiny', 'test-images.bin'), 5);
    const error = await rejection(loadDataset({ name: 'tiny', dataDir }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('The dataset "tiny" is damaged');
  });

  it('deletes an imported set, but not MNIST or an unknown one', async () => {
    await importIdx({ dataDir, name: 'tiny', paths: [src] });
    await deleteDataset(dataDir, 'tiny');
    expect(await readdir(join(dataDir, 'datasets'))).toEqual([]);
    expect((await rejection(deleteDataset(dataDir, 'tiny'))).code).toBe('not_found');
    expect((await rejection(deleteDataset(dataDir, 'mnist'))).code).toBe('conflict');
  });
});
