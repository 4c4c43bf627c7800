import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetError, fsErrorCode, toDatasetError } from './errors';
import { formatBytes, MAX_DATASET_BYTES, MAX_GZIP_RATIO, MAX_IMAGE_SIDE } from './limits';
import type { DatasetSplit } from './types';

/** Magic number of an IDX file of unsigned-byte images (count, rows, cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned-byte labels (count). */
export const IDX_LABELS_MAGIC = 0x00000801;

const UBYTE = 0x08;
// Windows has no O_NONBLOCK (and no pipes in the file system to block on).
const nonBlocking = (fsConstants as { O_NONBLOCK?: number }).O_NONBLOCK ?? 0;
const typeNames: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/** A parsed unsigned-byte IDX array. */
export interface IdxArray {
  /** Sizes from the header, outermost first (e.g. `[60000, 28, 28]`). */
  dims: number[];
  /** The values, row-major; a view into the file's bytes (no copy). */
  data: Uint8Array;
}

/** Images of an IDX file with their geometry. */
export interface IdxImages {
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** `count × height × width × channels` bytes. */
  pixels: Uint8Array;
}

/** Images and labels of one split read from a pair of IDX files. */
export interface IdxSplit {
  split: DatasetSplit;
  height: number;
  width: number;
  channels: 1 | 3;
}

function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** True when `bytes` start with the gzip magic bytes 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The header of an IDX file: dims and where the data starts. */
interface IdxHeader {
  dims: number[];
  headerLength: number;
  /** Bytes of data the dims declare. */
  dataLength: number;
}

/**
 * Reads the header at the start of `bytes` (the file may be longer, or still
 * arriving), checking the magic number as soon as 4 bytes are there and the
 * dims against what the app can hold before anyone allocates for them.
 *
 * @returns null while the header is incomplete.
 * @throws {DatasetError} `invalid_input` for a wrong magic number or type, or dims over the limits.
 */
function parseIdxHeader(bytes: Uint8Array, fileName: string): IdxHeader | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2] as number;
  const ndims = bytes[3] as number;
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndims === 0) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} is not an IDX file (magic number ${hex32(magic)}, expected ${hex32(IDX_IMAGES_MAGIC)} for images or ${hex32(IDX_LABELS_MAGIC)} for labels); choose an IDX file such as train-images-idx3-ubyte.gz.`,
    );
  }
  if (type !== UBYTE) {
    const typeName = typeNames[type] ?? `unknown type 0x${type.toString(16)}`;
    throw new DatasetError(
      'invalid_input',
      `${fileName} holds IDX values of type ${typeName} (magic number ${hex32(magic)}), but only unsigned bytes (0x08) are supported; convert it to ubyte IDX.`,
    );
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) return null;
  const dims: number[] = [];
  let dataLength = 1;
  for (let i = 0; i < ndims; i++) {
    const size = view.getUint32(4 + 4 * i);
    dims.push(size);
    dataLength *= size;
  }
  const [, rows = 0, cols = 0] = dims;
  if ((ndims === 3 || ndims === 4) && (rows > MAX_IMAGE_SIDE || cols > MAX_IMAGE_SIDE)) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} holds images of ${rows}×${cols} pixels, but VAE Studio trains on images of at most ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE}; make them smaller first (e.g. as a folder of PNG files imported at a smaller size).`,
    );
  }
  if (dataLength > MAX_DATASET_BYTES) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} declares ${dims.join('×')} = ${dataLength} bytes of data, more than the ${formatBytes(MAX_DATASET_BYTES)} VAE Studio can hold for one file; use fewer or smaller images.`,
    );
  }
  return { dims, headerLength, dataLength };
}

function truncatedHeader(fileName: string, length: number): DatasetError {
  if (length < 4) {
    return new DatasetError(
      'invalid_input',
      `${fileName} is too short to be an IDX file (${length} bytes); choose an IDX file such as train-images-idx3-ubyte.gz.`,
    );
  }
  return new DatasetError(
    'invalid_input',
    `${fileName} is truncated: its header is cut short after ${length} bytes; download the file again.`,
  );
}

function truncatedData(fileName: string, header: IdxHeader, actual: number): DatasetError {
  return new DatasetError(
    'invalid_input',
    `${fileName} is truncated: its header declares ${header.dims.join('×')} = ${header.dataLength} bytes of data but only ${actual} are present; download the file again.`,
  );
}

function longerThanHeader(fileName: string, header: IdxHeader, actual: number | null): DatasetError {
  return new DatasetError(
    'invalid_input',
    `${fileName} does not match its header: the dimensions ${header.dims.join('×')} = ${header.dataLength} bytes but the file holds ${actual ?? 'more'}; the file is damaged or not an IDX file.`,
  );
}

/**
 * Parses the bytes of an uncompressed unsigned-byte IDX file.
 *
 * @param bytes the whole file, already decompressed.
 * @param fileName named in error messages.
 * @throws {DatasetError} `invalid_input` for a wrong magic number, a truncated
 *   file, a length that does not match the header's dimensions, or dims over the limits.
 */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  const header = parseIdxHeader(bytes, fileName);
  if (!header) {
    if (bytes.length < 4) throw truncatedHeader(fileName, bytes.length);
    const needed = 4 + 4 * (bytes[3] as number);
    throw new DatasetError(
      'invalid_input',
      `${fileName} is truncated: its header needs ${needed} bytes but the file has ${bytes.length}; download the file again.`,
    );
  }
  const actual = bytes.length - header.headerLength;
  if (actual < header.dataLength) throw truncatedData(fileName, header, actual);
  if (actual > header.dataLength) throw longerThanHeader(fileName, header, actual);
  return { dims: header.dims, data: bytes.subarray(header.headerLength) };
}

/**
 * Collects a file's bytes as they arrive (from disk or out of gunzip): the
 * header is checked first, then exactly the bytes it declares are allocated,
 * and a stream that goes on past them is stopped there.
 */
class IdxCollector {
  private head = new Uint8Array(0);
  private header: IdxHeader | null = null;
  private data: Uint8Array | null = null;
  private filled = 0;

  constructor(
    private readonly fileName: string,
    /** Checks the header's promise against what the file can hold, before allocating. */
    private readonly checkPlausible: (header: IdxHeader) => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (!this.data) {
      // The header is at most 4 + 4·255 bytes; only its prefix is ever copied here.
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      const header = parseIdxHeader(joined, this.fileName);
      if (!header) {
        this.head = joined;
        return;
      }
      this.checkPlausible(header);
      this.header = header;
      this.data = new Uint8Array(header.dataLength);
      this.head = new Uint8Array(0);
      chunk = joined.subarray(header.headerLength);
    }
    if (this.filled + chunk.length > this.data.length) {
      throw longerThanHeader(this.fileName, this.header as IdxHeader, null);
    }
    this.data.set(chunk, this.filled);
    this.filled += chunk.length;
  }

  finish(): IdxArray {
    if (!this.data || !this.header) throw truncatedHeader(this.fileName, this.head.length);
    if (this.filled < this.data.length) throw truncatedData(this.fileName, this.header, this.filled);
    return { dims: this.header.dims, data: this.data };
  }
}

function isZlibError(error: unknown): boolean {
  const code = fsErrorCode(error);
  return code !== undefined && (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED');
}

/**
 * Reads and parses an IDX file, plain or gzip'd (detected by its first bytes,
 * not its name, because downloads are often renamed). A gzip file is inflated
 * as a stream: its header is checked before the rest is inflated, and no more
 * than the header declares is ever held, so a small "gzip bomb" cannot fill memory.
 *
 * @throws {DatasetError} `not_found` when the file is missing, `invalid_input`
 *   when it is not a valid IDX file, a damaged gzip stream or over the limits, `io_error` otherwise.
 */
export async function readIdxFile(filePath: string): Promise<IdxArray> {
  const fileName = basename(filePath);
  let handle: FileHandle;
  try {
    // Non-blocking, so that opening a pipe returns at once and is refused below instead of waiting for a writer.
    handle = await open(filePath, fsConstants.O_RDONLY | nonBlocking);
  } catch (error) {
    throw toDatasetError(error, `read ${fileName}`);
  }
  try {
    let size: number;
    const magic = new Uint8Array(2);
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
      // A device or a pipe can stream forever and has no size to check the header against.
      if (!stats.isFile()) {
        throw new DatasetError(
          'invalid_input',
          `${fileName} is not a regular file (a device, pipe or socket); choose an IDX file.`,
        );
      }
      size = stats.size;
      await handle.read(magic, 0, 2, 0);
    } catch (error) {
      throw toDatasetError(error, `read ${fileName}`);
    }
    const gzip = isGzip(magic);
    const collector = new IdxCollector(fileName, (header) => {
      const declared = header.headerLength + header.dataLength;
      if (!gzip) {
        const actual = size - header.headerLength;
        if (actual < header.dataLength) throw truncatedData(fileName, header, actual);
        if (actual > header.dataLength) throw longerThanHeader(fileName, header, actual);
      } else if (declared > size * MAX_GZIP_RATIO + 1024) {
        throw new DatasetError(
          'invalid_input',
          `${fileName} is truncated: its header declares ${header.dims.join('×')} = ${header.dataLength} bytes of data, more than a gzip file of ${size} bytes can hold; download the file again.`,
        );
      }
    });
    const source = handle.createReadStream({ autoClose: false });
    let stream: Readable = source;
    if (gzip) {
      const gunzip = createGunzip();
      // Errors of either side reach the loop below through the gunzip stream; this callback has nothing to add.
      pipeline(source, gunzip, () => undefined);
      stream = gunzip;
    }
    try {
      for await (const chunk of stream) collector.push(chunk as Buffer);
    } catch (error) {
      if (error instanceof DatasetError) throw error;
      if (gzip && isZlibError(error)) {
        throw new DatasetError(
          'invalid_input',
          `${fileName} is a damaged or truncated gzip file; download the file again.`,
          { cause: error },
        );
      }
      throw toDatasetError(error, `read ${fileName}`);
    } finally {
      // Leaving the loop early (a bad header, too much data) stops the inflating there.
      source.destroy();
      stream.destroy();
    }
    return collector.finish();
  } finally {
    await handle.close();
  }
}

/**
 * Interprets an IDX array as images: dims `(count, rows, cols)` are greyscale;
 * `(count, rows, cols, 1|3)` carry channels.
 *
 * @throws {DatasetError} `invalid_input` when the file holds labels or has other dims.
 */
export function idxImages(idx: IdxArray, fileName: string): IdxImages {
  const [count, height, width, channels = 1] = idx.dims;
  if (idx.dims.length === 1) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} holds labels (magic number ${hex32(IDX_LABELS_MAGIC)}), not images; check which file is which.`,
    );
  }
  const shapeOk =
    (idx.dims.length === 3 || (idx.dims.length === 4 && (channels === 1 || channels === 3))) &&
    count !== undefined &&
    height !== undefined &&
    width !== undefined;
  if (!shapeOk) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} has dimensions ${idx.dims.join('×')}, but images must be count×rows×cols (magic number ${hex32(IDX_IMAGES_MAGIC)}); choose an images file.`,
    );
  }
  if (count === 0 || height === 0 || width === 0) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} contains no images (dimensions ${idx.dims.join('×')}); choose another file.`,
    );
  }
  return { count, height, width, channels: channels === 3 ? 3 : 1, pixels: idx.data };
}

/**
 * Interprets an IDX array as labels (dims `(count)`).
 *
 * @throws {DatasetError} `invalid_input` when the file holds images or has other dims.
 */
export function idxLabels(idx: IdxArray, fileName: string): Uint8Array {
  if (idx.dims.length !== 1) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} has dimensions ${idx.dims.join('×')}, but labels must be one-dimensional (magic number ${hex32(IDX_LABELS_MAGIC)}); check which file is which.`,
    );
  }
  return idx.data;
}

/**
 * Reads an images file and its labels file and checks that they agree.
 *
 * @throws {DatasetError} `invalid_input` when either file is invalid or their counts differ.
 */
export async function readIdxSplit(paths: { images: string; labels: string }): Promise<IdxSplit> {
  const [imagesIdx, labelsIdx] = await Promise.all([readIdxFile(paths.images), readIdxFile(paths.labels)]);
  const imagesName = basename(paths.images);
  const labelsName = basename(paths.labels);
  const images = idxImages(imagesIdx, imagesName);
  const labels = idxLabels(labelsIdx, labelsName);
  if (labels.length !== images.count) {
    throw new DatasetError(
      'invalid_input',
      `${imagesName} has ${images.count} images but ${labelsName} has ${labels.length} labels; choose the labels file of the same split.`,
    );
  }
  return {
    split: { images: images.pixels, labels, count: images.count },
    height: images.height,
    width: images.width,
    channels: images.channels,
  };
}
