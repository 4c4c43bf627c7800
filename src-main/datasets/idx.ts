import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DatasetError, toDatasetError } from './errors';
import type { DatasetSplit } from './types';

const gunzipAsync = promisify(gunzip);

/** Magic number of an IDX file of unsigned-byte images (count, rows, cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned-byte labels (count). */
export const IDX_LABELS_MAGIC = 0x00000801;

const UBYTE = 0x08;
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

/**
 * Parses the bytes of an uncompressed unsigned-byte IDX file.
 *
 * @param bytes the whole file, already decompressed.
 * @param fileName named in error messages.
 * @throws {DatasetError} `invalid_input` for a wrong magic number, a truncated
 *   file, or a length that does not match the header's dimensions.
 */
export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  if (bytes.length < 4) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} is too short to be an IDX file (${bytes.length} bytes); choose an IDX file such as train-images-idx3-ubyte.gz.`,
    );
  }
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
  if (bytes.length < headerLength) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} is truncated: its header needs ${headerLength} bytes but the file has ${bytes.length}; download the file again.`,
    );
  }
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const size = view.getUint32(4 + 4 * i);
    dims.push(size);
    expected *= size;
  }
  const actual = bytes.length - headerLength;
  if (actual < expected) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} is truncated: its header declares ${dims.join('×')} = ${expected} bytes of data but only ${actual} are present; download the file again.`,
    );
  }
  if (actual > expected) {
    throw new DatasetError(
      'invalid_input',
      `${fileName} does not match its header: the dimensions ${dims.join('×')} = ${expected} bytes but the file holds ${actual}; the file is damaged or not an IDX file.`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/**
 * Reads and parses an IDX file, plain or gzip'd (detected by its first bytes,
 * not its name, because downloads are often renamed).
 *
 * @throws {DatasetError} `not_found` when the file is missing, `invalid_input`
 *   when it is not a valid IDX file or a damaged gzip stream, `io_error` otherwise.
 */
export async function readIdxFile(filePath: string): Promise<IdxArray> {
  const fileName = basename(filePath);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(filePath);
  } catch (error) {
    throw toDatasetError(error, `read ${fileName}`);
  }
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      throw new DatasetError(
        'invalid_input',
        `${fileName} is a damaged or truncated gzip file; download the file again.`,
        { cause: error },
      );
    }
  }
  return parseIdx(bytes, fileName);
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
