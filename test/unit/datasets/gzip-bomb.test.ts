import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src-main/datasets/errors';
import { readIdxFile } from '../../../src-main/datasets/idx';
import { encodeIdx, tempDir } from '../../fixtures/datasets/idx-fixtures';

/** Bytes of zeros behind each bomb's header: about 250 KB once gzip'd. */
const bombZeros = 256 * 2 ** 20;
/** Peak memory a read may add over the child's own start-up; today's gunzip-it-all needs > 256 MB. */
const peakBoundKb = 64 * 1024;

/** Writes `header` then `zeros` zero bytes through gzip, a chunk at a time (the bomb never sits in memory). */
async function writeBomb(file: string, header: Uint8Array, zeros: number): Promise<void> {
  const chunk = Buffer.alloc(2 ** 20);
  function* content() {
    yield Buffer.from(header);
    for (let left = zeros; left > 0; left -= chunk.length)
      yield chunk.subarray(0, Math.min(left, chunk.length));
  }
  await pipeline(content(), createGzip({ level: 9 }), createWriteStream(file));
}

function idxHeader(dims: number[]): Uint8Array {
  return encodeIdx(dims, []);
}

const jitiCli = createRequire(import.meta.url)
  .resolve('jiti/package.json')
  .replace(/package\.json$/, 'lib/jiti-cli.mjs');
const childScript = join(import.meta.dirname, 'child-idx.ts');

interface ChildReport {
  beforeKb: number;
  peakKb: number;
  code?: string;
  message?: string;
  dims?: number[];
}

/** Reads `file` in a fresh process and reports its peak memory and outcome. */
function readInChild(file: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [jitiCli, childScript, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as ChildReport);
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('readIdxFile against gzip bombs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('vae-gzip-bomb-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at an invalid header without inflating the rest', async () => {
    const file = join(dir, 'zeros-idx3-ubyte.gz');
    await writeBomb(file, new Uint8Array(0), bombZeros);
    expect((await stat(file)).size).toBeLessThan(2 ** 20);
    const report = await readInChild(file);
    expect(report).toMatchObject({
      code: 'invalid_input',
      message:
        'zeros-idx3-ubyte.gz is not an IDX file (magic number 0x00000000, expected 0x00000803 for images or 0x00000801 for labels); choose an IDX file such as train-images-idx3-ubyte.gz.',
    });
    expect(report.peakKb - report.beforeKb).toBeLessThan(peakBoundKb);
  });

  it('stops where the data declared by a valid header ends, however long the stream goes on', async () => {
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    await writeBomb(file, idxHeader([10, 28, 28]), bombZeros);
    const report = await readInChild(file);
    expect(report).toMatchObject({
      code: 'invalid_input',
      message:
        'train-images-idx3-ubyte.gz does not match its header: the dimensions 10×28×28 = 7840 bytes but the file holds more; the file is damaged or not an IDX file.',
    });
    expect(report.peakKb - report.beforeKb).toBeLessThan(peakBoundKb);
  });

  it('refuses, before allocating, a header that declares more than a gzip file of its size can hold', async () => {
    const file = join(dir, 'claims-idx3-ubyte.gz');
    await writeFile(file, gzipSync(Buffer.concat([idxHeader([3000, 256, 256]), Buffer.alloc(2 ** 20)])));
    const { size } = await stat(file);
    const error = await rejection(readIdxFile(file));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      `claims-idx3-ubyte.gz is truncated: its header declares 3000×256×256 = 196608000 bytes of data, more than a gzip file of ${size} bytes can hold; download the file again.`,
    );
  });

  it('refuses images larger than the app trains, and more data than it can hold, naming the limit', async () => {
    const big = join(dir, 'big-images-idx3-ubyte.gz');
    await writeBomb(big, idxHeader([10, 1000, 1000]), 10 * 1000 * 1000);
    expect((await rejection(readIdxFile(big))).message).toBe(
      'big-images-idx3-ubyte.gz holds images of 1000×1000 pixels, but VAE Studio trains on images of at most 256×256; make them smaller first (e.g. as a folder of PNG files imported at a smaller size).',
    );
    const many = join(dir, 'many-images-idx3-ubyte');
    await writeFile(many, idxHeader([4_000_000, 28, 28]));
    expect((await rejection(readIdxFile(many))).message).toBe(
      'many-images-idx3-ubyte declares 4000000×28×28 = 3136000000 bytes of data, more than the 2 GB VAE Studio can hold for one file; use fewer or smaller images.',
    );
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a pipe at once instead of waiting on it forever (skipped on Windows: no mkfifo)',
    async () => {
      const fifo = join(dir, 'train-labels-idx1-ubyte');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      expect((await rejection(readIdxFile(fifo))).message).toBe(
        'train-labels-idx1-ubyte is not a regular file (a device, pipe or socket); choose an IDX file.',
      );
    },
  );
});
