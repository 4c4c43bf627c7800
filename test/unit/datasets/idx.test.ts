import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src-main/datasets/errors';
import { idxImages, idxLabels, parseIdx, readIdxFile, readIdxSplit } from '../../../src-main/datasets/idx';
import { encodeIdx, tempDir } from '../../fixtures/datasets/idx-fixtures';

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('parseIdx', () => {
  it('reads dims and data of an images file', () => {
    const idx = parseIdx(encodeIdx([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]), 'x');
    expect(idx.dims).toEqual([2, 2, 3]);
    expect(Array.from(idx.data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    expect(idxImages(idx, 'x')).toMatchObject({ count: 2, height: 2, width: 3, channels: 1 });
  });

  it('reads a labels file', () => {
    const idx = parseIdx(encodeIdx([3], [9, 0, 4]), 'l');
    expect(Array.from(idxLabels(idx, 'l'))).toEqual([9, 0, 4]);
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = Buffer.from([0x1a, 0x2b, 0x08, 0x03, 0, 0, 0, 0]);
    const error = thrown(() => parseIdx(bytes, 'weird.bin'));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('weird.bin is not an IDX file (magic number 0x1a2b0803');
  });

  it('rejects non-byte IDX types', () => {
    const bytes = encodeIdx([1], [0]);
    bytes[2] = 0x0d;
    const error = thrown(() => parseIdx(bytes, 'floats.idx'));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('type float');
  });

  it('rejects truncated data, saying how much is missing', () => {
    const bytes = encodeIdx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]).subarray(0, 16 + 5);
    const error = thrown(() => parseIdx(bytes, 'cut-images'));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('cut-images is truncated');
    expect(error.message).toContain('2×2×2 = 8 bytes of data but only 5');
  });

  it('rejects a truncated header', () => {
    const error = thrown(() => parseIdx(encodeIdx([2, 2, 2], []).subarray(0, 10), 'h'));
    expect(error.message).toContain('h is truncated: its header needs 16 bytes but the file has 10');
  });

  it('rejects dims that do not match a longer file', () => {
    const error = thrown(() => parseIdx(encodeIdx([2], [1, 2, 3]), 'long'));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('long does not match its header');
  });

  it('rejects labels used as images and images used as labels', () => {
    const labels = parseIdx(encodeIdx([2], [1, 2]), 'l');
    expect(thrown(() => idxImages(labels, 'l')).message).toContain('l holds labels');
    const images = parseIdx(encodeIdx([1, 1, 2], [1, 2]), 'i');
    expect(thrown(() => idxLabels(images, 'i')).message).toContain('labels must be one-dimensional');
  });
});

describe('readIdxFile and readIdxSplit', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads plain and gzip files to the same values', async () => {
    const bytes = encodeIdx([1, 2, 2], [10, 20, 30, 40]);
    await writeFile(join(dir, 'plain'), bytes);
    await writeFile(join(dir, 'zipped.gz'), gzipSync(bytes));
    // A gzip file without .gz is still detected by its magic bytes.
    await writeFile(join(dir, 'zipped-no-ext'), gzipSync(bytes));
    for (const name of ['plain', 'zipped.gz', 'zipped-no-ext']) {
      const idx = await readIdxFile(join(dir, name));
      expect(idx.dims).toEqual([1, 2, 2]);
      expect(Array.from(idx.data)).toEqual([10, 20, 30, 40]);
    }
  });

  it('rejects a truncated gzip file', async () => {
    const zipped = gzipSync(encodeIdx([1, 2, 2], [10, 20, 30, 40]));
    await writeFile(join(dir, 'cut.gz'), zipped.subarray(0, zipped.length - 6));
    const error = await rejection(readIdxFile(join(dir, 'cut.gz')));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('cut.gz is a damaged or truncated gzip file');
  });

  it('reports a missing file as not_found', async () => {
    const error = await rejection(readIdxFile(join(dir, 'nope-idx3-ubyte')));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('nope-idx3-ubyte');
  });

  it('pairs images with labels', async () => {
    await writeFile(join(dir, 'i'), encodeIdx([2, 1, 2], [1, 2, 3, 4]));
    await writeFile(join(dir, 'l'), encodeIdx([2], [7, 8]));
    const split = await readIdxSplit({ images: join(dir, 'i'), labels: join(dir, 'l') });
    expect(split).toMatchObject({ height: 1, width: 2, channels: 1 });
    expect(split.split.count).toBe(2);
    expect(Array.from(split.split.images)).toEqual([1, 2, 3, 4]);
    expect(Array.from(split.split.labels)).toEqual([7, 8]);
  });

  it('rejects image and label counts that disagree, naming both files', async () => {
    await writeFile(join(dir, 'imgs'), encodeIdx([2, 1, 2], [1, 2, 3, 4]));
    await writeFile(join(dir, 'labs'), encodeIdx([3], [7, 8, 9]));
    const error = await rejection(readIdxSplit({ images: join(dir, 'imgs'), labels: join(dir, 'labs') }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('imgs has 2 images but labs has 3 labels');
  });
});
