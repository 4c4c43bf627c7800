import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type ZipOptions } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src-main/datasets/errors';
import { unpackZip, uploadedZip, type ZipKind } from '../../../src-main/datasets/unzip';
import { damagedZip, zipDamages } from '../../fixtures/datasets/zip-damage';

// Zips are built with fflate and, for what no honest tool writes, patched byte by byte.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vae-unzip-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const png = (n: number) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, n, n, n]);
type Files = Record<string, Uint8Array | [Uint8Array, ZipOptions]>;

/** Offset of the central directory record of `name`. */
function centralOf(zip: Uint8Array, name: string): number {
  const view = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = view.length - 46; at >= 0; at--) {
    if (view.readUInt32LE(at) !== 0x02014b50) continue;
    const length = view.readUInt16LE(at + 28);
    if (view.subarray(at + 46, at + 46 + length).toString('utf8') === name) return at;
  }
  throw new Error(`no central record for ${name}`);
}

/** The zip with one central-directory field of `name` overwritten (little-endian). */
function patched(zip: Uint8Array, name: string, offset: number, value: number, bytes: 2 | 4): Uint8Array {
  const copy = Buffer.from(zip);
  const at = centralOf(copy, name) + offset;
  if (bytes === 2) copy.writeUInt16LE(value, at);
  else copy.writeUInt32LE(value >>> 0, at);
  return copy;
}

const limits = { maxBytes: 1_000_000, maxEntries: 100 };

async function unpack(zip: Uint8Array, kind: ZipKind = 'folder', over: Partial<typeof limits> = {}) {
  const zipPath = join(dir, 'set.zip');
  writeFileSync(zipPath, zip);
  return unpackZip({
    zipPath,
    zipName: 'set.zip',
    into: join(dir, 'unpacked'),
    kind,
    limits: { ...limits, ...over },
  });
}

/** The DatasetError an unpack fails with. */
async function refusal(zip: Uint8Array, kind: ZipKind = 'folder', over: Partial<typeof limits> = {}) {
  const error = await unpack(zip, kind, over).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** Every file under the unpack folder, relative. */
function written(): string[] {
  const root = join(dir, 'unpacked');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((p) => statSync(join(root, p)).isFile())
    .sort();
}

describe('unpacking an uploaded zip', () => {
  it('unpacks a folder of class folders, looking inside the folder it was zipped as', async () => {
    const zip = zipSync({
      'shapes/circle/a.png': png(1),
      'shapes/circle/b.PNG': png(2),
      'shapes/square/c.jpg': [png(3), { level: 0 }],
      'shapes/square/.DS_Store': png(9),
      '__MACOSX/shapes/circle/._a.png': png(9),
    } satisfies Files);
    const root = await unpack(zip);
    expect(root).toBe(join(dir, 'unpacked', 'shapes'));
    expect(written()).toEqual(['shapes/circle/a.png', 'shapes/circle/b.PNG', 'shapes/square/c.jpg']);
    expect(new Uint8Array(readFileSync(join(root, 'square', 'c.jpg')))).toEqual(png(3));
  });

  it('unpacks IDX files with their labels.txt at the top', async () => {
    const zip = zipSync({
      'train-images-idx3-ubyte': png(1),
      'labels.txt': new TextEncoder().encode('a\nb\n'),
    });
    expect(await unpack(zip, 'idx')).toBe(join(dir, 'unpacked'));
    expect(written()).toEqual(['labels.txt', 'train-images-idx3-ubyte']);
  });

  it('refuses, before inflating anything, a zip that declares more than the cap', async () => {
    const zip = zipSync({ 'c/a.png': new Uint8Array(600), 'c/b.png': new Uint8Array(600) });
    const error = await refusal(zip, 'folder', { maxBytes: 1000 });
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toBe(
      'set.zip unpacks to more than 1000 bytes, more than an upload may hold; import a smaller set, or run `vae-studio datasets import` on the server.',
    );
    expect(existsSync(join(dir, 'unpacked'))).toBe(false);
  });

  it('refuses a zip of more entries than an upload may hold', async () => {
    const files: Files = {};
    for (let i = 0; i < 5; i++) files[`c/${i}.png`] = png(i);
    const error = await refusal(zipSync(files), 'folder', { maxEntries: 4 });
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toBe(
      'set.zip holds 5 entries, more than the 4 an upload may hold; import a smaller set.',
    );
    expect(existsSync(join(dir, 'unpacked'))).toBe(false);
  });

  it('stops inflating an entry that expands past the size it declares (a zip bomb)', async () => {
    // 4 MB of zeros deflate to a few KB; the directory is made to claim 1,000 bytes.
    const zip = patched(zipSync({ 'c/bomb.png': new Uint8Array(4 << 20) }), 'c/bomb.png', 24, 1000, 4);
    const error = await refusal(zip);
    expect(error.message).toBe(
      'set.zip is damaged: "c/bomb.png" unpacks to more than it declares; zip the dataset again and upload that.',
    );
    // Never more than the declared bytes reached the disk.
    const file = join(dir, 'unpacked', 'c', 'bomb.png');
    expect(existsSync(file) ? statSync(file).size : 0).toBeLessThanOrEqual(1000);
  });

  it('refuses names that would leave the folder', async () => {
    for (const name of [
      '../evil.png',
      'c/../../evil.png',
      '/etc/evil.png',
      'C:/evil.png',
      'c\\..\\..\\evil.png',
    ]) {
      const zip = zipSync({ 'c/ok.png': png(1), [name]: png(2) });
      const error = await refusal(zip);
      expect(error.code).toBe('invalid_input');
      expect(error.message).toBe(
        `set.zip has an entry named ${JSON.stringify(name)}, which would be written outside the dataset's folder; zip the folder again from inside it, with relative names only.`,
      );
      expect(written()).toEqual([]);
    }
    expect(existsSync(join(dir, '..', 'evil.png'))).toBe(false);
  });

  it('refuses a symbolic link', async () => {
    const link: [Uint8Array, ZipOptions] = [
      new TextEncoder().encode('/etc/passwd'),
      { os: 3, attrs: 0o120777 << 16 },
    ];
    const error = await refusal(zipSync({ 'c/a.png': png(1), 'c/link.png': link }));
    expect(error.message).toBe(
      'set.zip has a symbolic link, "c/link.png"; zip the files themselves (e.g. zip without --symlinks) and upload that.',
    );
    expect(written()).toEqual([]);
  });

  it('refuses an encrypted entry', async () => {
    const zip = patched(zipSync({ 'c/a.png': png(1), 'c/secret.png': png(2) }), 'c/secret.png', 8, 0x1, 2);
    const error = await refusal(zip);
    expect(error.message).toBe(
      'set.zip is encrypted ("c/secret.png" needs a password); unzip it yourself and upload the folder, or zip it again without a password.',
    );
    expect(written()).toEqual([]);
  });

  it('refuses a compression method it cannot read', async () => {
    const zip = patched(zipSync({ 'c/a.png': png(1) }), 'c/a.png', 10, 12, 2);
    expect((await refusal(zip)).message).toBe(
      'set.zip compresses "c/a.png" with bzip2, which cannot be read here; zip it again with ordinary (Deflate) compression.',
    );
  });

  it('says what a zip without images holds instead', async () => {
    const text = new TextEncoder().encode('hello');
    const zip = zipSync({ 'notes.txt': text, 'data/table.csv': text, 'inner.zip': text, 'more.md': text });
    expect((await refusal(zip)).message).toBe(
      'set.zip holds no PNG or JPEG files (it holds notes.txt, data/table.csv, inner.zip, …); zip a folder with one subfolder of PNG or JPEG images per class and upload that.',
    );
    expect((await refusal(zipSync({ 'c/a.png': png(1) }), 'idx')).message).toBe(
      'set.zip holds no IDX files (it holds c/a.png); zip the four IDX files (train and test images and labels, .gz accepted) and upload that.',
    );
    expect(written()).toEqual([]);
  });

  it('refuses a damaged zip: a bad checksum, or not a zip at all', async () => {
    const zip = patched(zipSync({ 'c/a.png': png(1) }), 'c/a.png', 16, 12345, 4);
    expect((await refusal(zip)).message).toBe(
      'set.zip is damaged: "c/a.png" fails its checksum; zip the dataset again and upload that.',
    );
    expect((await refusal(new TextEncoder().encode('not a zip'))).message).toBe(
      'set.zip is not a readable zip file (no end of central directory); zip the dataset again and upload that.',
    );
  });

  it.each(zipDamages)(
    'stops at an entry broken mid-zip (%s) after those before it were written, naming the zip',
    async (damage, what) => {
      // Twelve entries; the ninth is broken, so eight are on disk when it is reached.
      const files: Files = {};
      const names: string[] = [];
      for (let i = 0; i < 12; i++) {
        const name = `set/c${i % 2}/${String(i).padStart(2, '0')}.png`;
        files[name] = new Uint8Array(300).map((_, j) => (j * (i + 1)) % 251);
        names.push(name);
      }
      const broken = names[8] as string;
      const error = await refusal(damagedZip(zipSync(files), broken, damage));
      expect(error.code).toBe('invalid_input');
      expect(error.message).toBe(
        `set.zip is damaged: "${broken}" ${what}; zip the dataset again and upload that.`,
      );
      // What came before is left for the caller to remove (the upload's folder goes whole); nothing after.
      const before = names.slice(0, 8).sort();
      expect(written().filter((p) => p !== broken)).toEqual(before);
    },
  );

  it('finds the one zip of an upload, and refuses a zip mixed with loose files', async () => {
    writeFileSync(join(dir, 'a.png'), png(1));
    expect(await uploadedZip(dir)).toBeNull();
    writeFileSync(join(dir, 'set.ZIP'), zipSync({ 'c/a.png': png(1) }));
    await expect(uploadedZip(dir)).rejects.toThrow(
      'The upload holds a .zip and other files; upload either one .zip of the dataset or its files, not both.',
    );
    rmSync(join(dir, 'a.png'));
    expect(await uploadedZip(dir)).toBe('set.ZIP');
  });
});
