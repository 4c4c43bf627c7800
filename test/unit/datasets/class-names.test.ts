import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classNamesProblem, parseClassNames } from '../../../shared/class-names';
import { commandArgSchemas } from '../../../shared/schemas';
import { DatasetError } from '../../../src-main/datasets/errors';
import { importIdx } from '../../../src-main/datasets/import-idx';
import { knownClassNames, knownSets } from '../../../src-main/datasets/known-sets';
import { listDatasets, loadDataset, setClassNames } from '../../../src-main/datasets/store';
import { tempDir, writeTinyIdxSet } from '../../fixtures/datasets/idx-fixtures';

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('parseClassNames', () => {
  it('splits one line on commas and a file on lines, trimming', () => {
    expect(parseClassNames('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(parseClassNames('\uFEFFT-shirt/top\r\nTrouser, long\n\n')).toEqual([
      'T-shirt/top',
      'Trouser, long',
    ]);
  });
});

describe('classNamesProblem', () => {
  it('refuses a list of the wrong length, naming the expected count', () => {
    expect(classNamesProblem(['a', 'b'], 3)).toBe(
      'Got 2 class name(s) but the dataset has 3 classes (labels 0–2); give exactly 3 names, in label order.',
    );
  });
  it('refuses blank, repeated and overlong names and accepts a good list', () => {
    expect(classNamesProblem(['a', ' '], 2)).toBe(
      'Class name 2 (label 1) is empty; give every class a name.',
    );
    expect(classNamesProblem(['a', 'a'], 2)).toBe(
      'Labels 0 and 1 are both named "a"; give each class its own name.',
    );
    expect(classNamesProblem(['x'.repeat(65)], 1)).toMatch(/longer than 64 characters/);
    expect(classNamesProblem(['cat', 'dog'], 2)).toBeNull();
  });
  it('is enforced at the API boundary for empty names', () => {
    const parsed = commandArgSchemas['datasets:setClassNames'].safeParse({ name: 'x', classNames: [''] });
    expect(parsed.success).toBe(false);
  });
});

describe('class names at import', () => {
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

  it('names the classes from the given list', async () => {
    await writeTinyIdxSet(src);
    const { info } = await importIdx({
      dataDir,
      name: 'tiny',
      paths: [src],
      classNames: ['cat', 'dog', 'eel'],
    });
    expect(info.labels).toEqual(['cat', 'dog', 'eel']);
    expect((await loadDataset({ name: 'tiny', dataDir })).info.labels).toEqual(['cat', 'dog', 'eel']);
  });

  it('refuses a list of the wrong length and leaves nothing behind', async () => {
    await writeTinyIdxSet(src);
    const error = await rejection(
      importIdx({ dataDir, name: 'tiny', paths: [src], classNames: ['cat', 'dog'] }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('the dataset has 3 classes');
    expect(await readdir(join(dataDir, 'datasets')).catch(() => [])).toEqual([]);
  });

  it('reads labels.txt beside the IDX files', async () => {
    await writeTinyIdxSet(src);
    await writeFile(join(src, 'labels.txt'), 'zero\none\ntwo\n');
    const { info } = await importIdx({ dataDir, name: 'tiny', paths: [src] });
    expect(info.labels).toEqual(['zero', 'one', 'two']);
  });

  it('refuses a labels.txt of the wrong length, naming the file and the count', async () => {
    await writeTinyIdxSet(src);
    await writeFile(join(src, 'labels.txt'), 'zero\none\n');
    const error = await rejection(importIdx({ dataDir, name: 'tiny', paths: [src] }));
    expect(error.message).toBe(
      `${join(src, 'labels.txt')}: Got 2 class name(s) but the dataset has 3 classes (labels 0–2); give exactly 3 names, in label order.`,
    );
  });

  it('falls back to the label numbers for files it does not know', async () => {
    const { files } = await writeTinyIdxSet(src);
    expect(
      await knownClassNames({ trainLabels: files[1] as string, testLabels: files[3] as string }),
    ).toBeNull();
    const { info } = await importIdx({ dataDir, name: 'tiny', paths: [src] });
    expect(info.labels).toEqual(['0', '1', '2']);
  });

  it("knows Fashion-MNIST's names by the checksums its README publishes", () => {
    const fashion = knownSets.find((k) => k.name === 'Fashion-MNIST');
    expect(fashion?.trainLabelsMd5).toBe('25c81989df183df01b3e8a0aad5dffbe');
    expect(fashion?.testLabelsMd5).toBe('bb300cfdad3c16e7a12a480ee83cd310');
    expect(fashion?.classNames[0]).toBe('T-shirt/top');
    expect(fashion?.classNames[9]).toBe('Ankle boot');
  });
});

describe('setClassNames', () => {
  let src: string;
  let dataDir: string;
  beforeEach(async () => {
    src = await tempDir();
    dataDir = await tempDir();
    await writeTinyIdxSet(src);
    await importIdx({ dataDir, name: 'tiny', paths: [src] });
  });
  afterEach(async () => {
    await rm(src, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('renames the classes for later loads and lists, keeping the content hash', async () => {
    const before = (await loadDataset({ name: 'tiny', dataDir })).info;
    const info = await setClassNames({ dataDir, name: 'tiny', classNames: ['a', 'b', 'c'] });
    expect(info).toEqual({ ...before, labels: ['a', 'b', 'c'] });
    expect((await listDatasets(dataDir)).find((d) => d.name === 'tiny')?.labels).toEqual(['a', 'b', 'c']);
    expect(await readdir(join(dataDir, 'datasets', 'tiny'))).not.toContain(expect.stringMatching(/\.tmp$/));
  });

  it('refuses the wrong count and changes nothing', async () => {
    const meta = join(dataDir, 'datasets', 'tiny', 'meta.json');
    const before = createHash('sha256')
      .update(await readFile(meta))
      .digest('hex');
    const error = await rejection(setClassNames({ dataDir, name: 'tiny', classNames: ['a'] }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('has 3 classes');
    expect(
      createHash('sha256')
        .update(await readFile(meta))
        .digest('hex'),
    ).toBe(before);
  });

  it('refuses the bundled MNIST and unknown names', async () => {
    expect((await rejection(setClassNames({ dataDir, name: 'mnist', classNames: ['a'] }))).code).toBe(
      'conflict',
    );
    expect((await rejection(setClassNames({ dataDir, name: 'nope', classNames: ['a'] }))).code).toBe(
      'not_found',
    );
  });
});
