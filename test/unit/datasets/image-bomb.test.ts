import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFolder } from '../../../src-main/datasets/import-folder';
import { tempDir } from '../../fixtures/datasets/idx-fixtures';

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid 8-bit greyscale PNG of `side × side` black pixels: a few KB that decode to `side²` bytes. */
function blackPng(side: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // Each row: filter byte 0 then the pixels, all zero.
  const idat = deflateSync(Buffer.alloc((side + 1) * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('importFolder against oversized images', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('vae-image-bomb-');
    for (const label of ['a', 'b']) {
      await mkdir(join(root, 'src', label), { recursive: true });
      for (let i = 0; i < 3; i++) {
        await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 9, g: 9, b: 9 } } })
          .png()
          .toFile(join(root, 'src', label, `${i}.png`));
      }
    }
    // 64 megapixels: over the app's limit, under sharp's own default (268 MP), so only the app's check stops it.
    await writeFile(join(root, 'src', 'b', 'huge.png'), blackPng(8000));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('skips an image over the pixel limit from its header, saying its size and the limit', async () => {
    expect((await stat(join(root, 'src', 'b', 'huge.png'))).size).toBeLessThan(200_000);
    expect(await sharp(join(root, 'src', 'b', 'huge.png')).metadata()).toMatchObject({
      width: 8000,
      height: 8000,
    });
    const dataDir = join(root, 'data');
    const result = await importFolder({
      dataDir,
      name: 'bomb',
      path: join(root, 'src'),
      size: 8,
      channels: 1,
    });
    expect(result.skipped).toBe(1);
    expect(result.skippedFiles).toEqual(['b/huge.png (8000×8000 pixels, more than the 50-megapixel limit)']);
    expect(result.info.trainCount + result.info.testCount).toBe(6);
  });
});
