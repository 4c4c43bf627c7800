import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { DatasetError, toDatasetError } from './errors';
import { formatBytes } from './limits';

/*
 * A dataset uploaded as one .zip: unpacked into the upload's folder, then imported by
 * the same code as any folder. Everything is decided from the zip's central directory
 * before a byte is inflated (entry count, the sizes entries declare, names, symlinks,
 * encryption, compression methods), and inflating counts bytes against each entry's
 * declared size, so a zip cannot expand past what it declared (a zip bomb) nor write
 * outside its folder. A zip that fails any check is refused whole: the caller drops
 * the upload folder, so nothing half-unpacked is left.
 */

/** Limits of one zip: the same as an upload of loose files. */
export interface ZipLimits {
  /** All entries together, uncompressed. */
  maxBytes: number;
  /** Entries (files and folders). */
  maxEntries: number;
}

/** What a zip must hold to be worth unpacking for an import of this kind. */
export type ZipKind = 'idx' | 'folder';

interface Entry {
  name: string;
  /** Path segments under the unpack folder; empty for entries left out (macOS metadata, hidden files). */
  segments: string[];
  directory: boolean;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
const methodNames: Record<number, string> = {
  1: 'Shrink',
  6: 'Implode',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'XZ',
  98: 'PPMd',
  99: 'AES encryption',
};
const imageExtensions = new Set(['.png', '.jpg', '.jpeg']);
const maxDepth = 8;

/** True for a file name the import reads as IDX or class names. */
function isIdxName(name: string): boolean {
  return /idx\d|ubyte/i.test(name) || name.toLowerCase() === 'labels.txt';
}

function isImageName(name: string): boolean {
  return imageExtensions.has(extname(name).toLowerCase());
}

/** The one .zip an upload folder holds, or null when it holds other files (or none). */
export async function uploadedZip(dir: string): Promise<string | null> {
  const entries = await readdir(dir, { withFileTypes: true });
  const zips = entries.filter((e) => e.isFile() && extname(e.name).toLowerCase() === '.zip');
  if (zips.length === 0) return null;
  if (entries.length > 1) {
    throw new DatasetError(
      'invalid_input',
      `The upload holds ${zips.length === 1 ? 'a .zip' : `${zips.length} .zip files`} and other files; upload either one .zip of the dataset or its files, not both.`,
    );
  }
  return (zips[0] as { name: string }).name;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/**
 * The segments an entry unpacks to, `[]` for an entry left out, or null for a name
 * that could leave the folder or that no file system takes (`../x`, `/x`, `C:x`, `a\0b`).
 */
function entrySegments(name: string): string[] | null {
  // Some Windows tools write backslashes; either separator splits the same way.
  const parts = name.replace(/\\/g, '/').split('/');
  if (parts[0] === '' || /^[A-Za-z]:/.test(parts[0] ?? '')) return null;
  if (parts.at(-1) === '') parts.pop();
  if (parts.some((p) => p === '' || p === '.' || p === '..' || /[:\0]/.test(p) || p.length > 255)) {
    return null;
  }
  // macOS adds __MACOSX/ (resource forks) and .DS_Store; hidden files are no dataset's part.
  if (parts[0] === '__MACOSX' || parts.some((p) => p.startsWith('.'))) return [];
  return parts;
}

/** Reads and checks the central directory; throws a sentence for the first problem found. */
async function readDirectory(
  handle: FileHandle,
  fileSize: number,
  zipName: string,
  limits: ZipLimits,
): Promise<Entry[]> {
  const damaged = (what: string) =>
    new DatasetError(
      'invalid_input',
      `${zipName} is not a readable zip file (${what}); zip the dataset again and upload that.`,
    );
  // The end record is the last 22 bytes, or up to 64 KB earlier when the zip has a comment.
  const tailLength = Math.min(fileSize, 22 + 0xffff + 20);
  const tail = await readAt(handle, fileSize - tailLength, tailLength);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw damaged('no end of central directory');
  let count = tail.readUInt16LE(end + 10);
  let directorySize = tail.readUInt32LE(end + 12);
  let directoryOffset = tail.readUInt32LE(end + 16);
  // Zip64: more than 65,535 entries (a folder of MNIST's 70,000 images) or offsets past 4 GB.
  if (end >= 20 && tail.readUInt32LE(end - 20) === ZIP64_LOCATOR) {
    const recordOffset = Number(tail.readBigUInt64LE(end - 20 + 8));
    const record = await readAt(handle, recordOffset, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw damaged('bad zip64 end record');
    count = Number(record.readBigUInt64LE(32));
    directorySize = Number(record.readBigUInt64LE(40));
    directoryOffset = Number(record.readBigUInt64LE(48));
  }
  if (count > limits.maxEntries) {
    throw new DatasetError(
      'payload_too_large',
      `${zipName} holds ${count.toLocaleString('en')} entries, more than the ${limits.maxEntries.toLocaleString('en')} an upload may hold; import a smaller set.`,
    );
  }
  if (directoryOffset + directorySize > fileSize) throw damaged('the central directory lies past its end');
  const directory = await readAt(handle, directoryOffset, directorySize);
  const entries: Entry[] = [];
  let declared = 0;
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL) {
      throw damaged('a broken central directory');
    }
    const madeBy = directory.readUInt16LE(at + 4) >> 8;
    const flags = directory.readUInt16LE(at + 8);
    const method = directory.readUInt16LE(at + 10);
    const crc = directory.readUInt32LE(at + 16);
    let compressedSize = directory.readUInt32LE(at + 20);
    let size = directory.readUInt32LE(at + 24);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const external = directory.readUInt32LE(at + 38);
    let localOffset = directory.readUInt32LE(at + 42);
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise CP437, which matches UTF-8 for the ASCII names datasets use.
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    const extra = directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    at += 46 + nameLength + extraLength + commentLength;
    // Zip64 sizes and offset, in this order, for the fields that say 0xFFFFFFFF.
    for (let e = 0; e + 4 <= extra.length;) {
      const id = extra.readUInt16LE(e);
      const length = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        const next = () => {
          const value = f + 8 <= e + 4 + length ? Number(extra.readBigUInt64LE(f)) : NaN;
          f += 8;
          return value;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + length;
    }
    if (![size, compressedSize, localOffset].every(Number.isSafeInteger))
      throw damaged('a broken zip64 field');
    const shown = JSON.stringify(name.slice(0, 200));
    const segments = entrySegments(name);
    if (segments === null) {
      throw new DatasetError(
        'invalid_input',
        `${zipName} has an entry named ${shown}, which would be written outside the dataset's folder; zip the folder again from inside it, with relative names only.`,
      );
    }
    if (segments.length > maxDepth) {
      throw new DatasetError(
        'invalid_input',
        `${zipName} nests ${shown} ${segments.length} folders deep; a dataset needs at most a folder per class (and one around them).`,
      );
    }
    const directory_ = name.endsWith('/') || name.endsWith('\\');
    // The file type sits in the upper half of the external attributes when a Unix tool made the zip.
    const unixType = (external >>> 16) & 0o170000;
    if ((madeBy === 3 || madeBy === 19) && unixType === 0o120000) {
      throw new DatasetError(
        'invalid_input',
        `${zipName} has a symbolic link, ${shown}; zip the files themselves (e.g. zip without --symlinks) and upload that.`,
      );
    }
    if (flags & 0x1 || method === 99) {
      throw new DatasetError(
        'invalid_input',
        `${zipName} is encrypted (${shown} needs a password); unzip it yourself and upload the folder, or zip it again without a password.`,
      );
    }
    if (!directory_ && method !== STORED && method !== DEFLATED) {
      throw new DatasetError(
        'invalid_input',
        `${zipName} compresses ${shown} with ${methodNames[method] ?? `method ${method}`}, which cannot be read here; zip it again with ordinary (Deflate) compression.`,
      );
    }
    if (!directory_ && segments.length > 0) declared += size;
    if (declared > limits.maxBytes) {
      throw new DatasetError(
        'payload_too_large',
        `${zipName} unpacks to more than ${formatBytes(limits.maxBytes)}, more than an upload may hold; import a smaller set, or run \`vae-studio datasets import\` on the server.`,
      );
    }
    entries.push({
      name,
      segments,
      directory: directory_,
      method,
      compressedSize,
      size,
      crc,
      localOffset,
    });
  }
  return entries;
}

/** Passes bytes through, failing once more than `max` have gone by; keeps a running CRC-32. */
class Counter extends Transform {
  bytes = 0;
  crc = 0;
  constructor(
    private readonly max: number,
    private readonly tooMany: () => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      callback(this.tooMany());
      return;
    }
    this.crc = zlib.crc32(chunk, this.crc);
    callback(null, chunk);
  }
}

/** What the zip holds for an import of this kind, or a sentence saying what it holds instead. */
function checkContents(entries: Entry[], zipName: string, kind: ZipKind): void {
  const files = entries.filter((e) => !e.directory && e.segments.length > 0);
  const wanted = kind === 'idx' ? isIdxName : isImageName;
  if (files.some((e) => wanted(e.segments.at(-1) ?? ''))) return;
  const some = files
    .slice(0, 3)
    .map((e) => e.segments.join('/'))
    .join(', ');
  const holds =
    files.length === 0
      ? 'no files'
      : `no ${kind === 'idx' ? 'IDX' : 'PNG or JPEG'} files (it holds ${some}${files.length > 3 ? ', …' : ''})`;
  throw new DatasetError(
    'invalid_input',
    kind === 'idx'
      ? `${zipName} holds ${holds}; zip the four IDX files (train and test images and labels, .gz accepted) and upload that.`
      : `${zipName} holds ${holds}; zip a folder with one subfolder of PNG or JPEG images per class and upload that.`,
  );
}

/**
 * Unpacks `zipPath` into `into` (a new folder) and returns the folder to import: `into`,
 * or the one folder the zip wraps everything in. Refuses, with a sentence saying what
 * was wrong and what to do, a zip that is damaged, over the limits, encrypted, holds a
 * symbolic link, a name that would leave the folder, an unknown compression method, or
 * nothing an import of this kind reads. On failure, part of the zip may have been
 * written under `into`: the caller removes it.
 */
export async function unpackZip(args: {
  zipPath: string;
  /** The name the user knows the zip by, for messages. */
  zipName: string;
  into: string;
  kind: ZipKind;
  limits: ZipLimits;
}): Promise<string> {
  const { zipPath, zipName, into, kind, limits } = args;
  let handle: FileHandle;
  try {
    handle = await open(zipPath, 'r');
  } catch (error) {
    throw toDatasetError(error, `open the uploaded ${zipName}`);
  }
  try {
    const { size: fileSize } = await handle.stat();
    const entries = await readDirectory(handle, fileSize, zipName, limits);
    checkContents(entries, zipName, kind);
    await mkdir(into, { recursive: true });
    const damaged = (entry: Entry, what: string) =>
      new DatasetError(
        'invalid_input',
        `${zipName} is damaged: ${JSON.stringify(entry.name.slice(0, 200))} ${what}; zip the dataset again and upload that.`,
      );
    for (const entry of entries) {
      if (entry.segments.length === 0) continue;
      const target = join(into, ...entry.segments);
      if (entry.directory) {
        await mkdir(target, { recursive: true });
        continue;
      }
      const header = await readAt(handle, entry.localOffset, 30);
      if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw damaged(entry, 'has no local header');
      const start = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      if (start + entry.compressedSize > fileSize) throw damaged(entry, 'runs past the end of the file');
      await mkdir(dirname(target), { recursive: true });
      // Its declared size bounds what inflating may produce: more is a lie or a bomb.
      const counter = new Counter(entry.size, () => damaged(entry, 'unpacks to more than it declares'));
      const source =
        entry.compressedSize === 0
          ? Readable.from([])
          : handle.createReadStream({
              start,
              end: start + entry.compressedSize - 1,
              autoClose: false,
              highWaterMark: 64 * 1024,
            });
      // 'wx': never over a file already written (a name twice, or twice in different case).
      const sink = createWriteStream(target, { flags: 'wx' });
      try {
        if (entry.method === DEFLATED) await pipeline(source, zlib.createInflateRaw(), counter, sink);
        else await pipeline(source, counter, sink);
      } catch (error) {
        if (error instanceof DatasetError) throw error;
        const code = (error as { code?: string }).code;
        if (code === 'EEXIST') {
          throw new DatasetError(
            'invalid_input',
            `${zipName} holds ${JSON.stringify(entry.name.slice(0, 200))} twice (or twice in different case); keep one and zip it again.`,
          );
        }
        if (typeof code === 'string' && code.startsWith('Z_')) throw damaged(entry, 'does not inflate');
        throw toDatasetError(error, `unpack ${entry.name} from ${zipName}`);
      }
      if (counter.bytes !== entry.size) throw damaged(entry, 'is shorter than it declares');
      if (counter.crc !== entry.crc) throw damaged(entry, 'fails its checksum');
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return await wrappedRoot(into, kind);
}

/**
 * The folder to import under `root`: a zip of a folder holds that folder, so while the
 * root holds nothing but one folder (that is a wrapper, not the only class), look inside.
 */
async function wrappedRoot(root: string, kind: ZipKind): Promise<string> {
  let dir = root;
  for (let depth = 0; depth < maxDepth; depth++) {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    const [only] = entries;
    if (entries.length !== 1 || !only?.isDirectory()) return dir;
    const inner = join(dir, only.name);
    if (kind === 'folder') {
      // One class folder of images stays as it is (the import then says a dataset needs classes).
      const children = await readdir(inner, { withFileTypes: true });
      if (!children.some((c) => c.isDirectory() && !c.name.startsWith('.'))) return dir;
    }
    dir = inner;
  }
  return dir;
}
