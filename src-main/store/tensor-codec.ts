import type { Checkpoint, NamedArray } from '../training/checkpoint';
import type { ModelSpec } from '../training/model-spec';
import { blobToFloat32, toBlob } from './blobs';

/**
 * A compact binary format for named float32 tensors, used for checkpoints
 * (weights + optimizer state) and per-epoch decoder weights.
 *
 * Layout (all integers little-endian):
 *
 * | bytes | content |
 * |---|---|
 * | 0–7 | magic `VAETNSR1` |
 * | 8–11 | uint32 H: length of the header |
 * | 12 … 12+H | UTF-8 JSON header `{ epoch, groups: { [group]: [{ name, shape }] }, meta? }` |
 * | padding | zeros up to a multiple of 4 |
 * | rest | float32 data of every tensor, groups in header order, tensors in order |
 *
 * The header is JSON because it is tiny (names and shapes) and readable in a
 * hex dump; the numbers are raw float32 because they are megabytes.
 */

/** Named groups of tensors tagged with an epoch: what one blob holds. */
export interface TensorBundle<G extends string = string> {
  epoch: number;
  groups: Record<G, NamedArray[]>;
  /** Plain JSON data stored alongside (e.g. the model spec). */
  meta?: Record<string, unknown>;
}

const magic = Buffer.from('VAETNSR1', 'ascii');

interface HeaderEntry {
  name: string;
  shape: number[];
}

function elementCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function checkTensor(tensor: NamedArray, group: string): void {
  const { name, shape, data } = tensor;
  if (typeof name !== 'string' || name.length === 0) {
    throw new RangeError(`A tensor in "${group}" has no name.`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`Tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`);
  }
  if (!(data instanceof Float32Array)) throw new RangeError(`Tensor "${name}" must hold a Float32Array.`);
  if (data.length !== elementCount(shape)) {
    throw new RangeError(
      `Tensor "${name}" has shape [${shape.join(', ')}] but ${data.length} values (expected ${elementCount(shape)}).`,
    );
  }
}

/** Encodes a bundle of tensor groups; throws RangeError when a tensor's data does not match its shape. */
export function encodeTensorBundle<G extends string>(bundle: TensorBundle<G>): Buffer {
  const groupNames = Object.keys(bundle.groups) as G[];
  const header: { epoch: number; groups: Record<string, HeaderEntry[]>; meta?: Record<string, unknown> } = {
    epoch: bundle.epoch,
    groups: {},
  };
  if (bundle.meta && Object.keys(bundle.meta).length > 0) header.meta = bundle.meta;
  let dataBytes = 0;
  for (const group of groupNames) {
    const tensors = bundle.groups[group];
    header.groups[group] = tensors.map((t) => {
      checkTensor(t, group);
      dataBytes += t.data.byteLength;
      return { name: t.name, shape: [...t.shape] };
    });
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = Math.ceil((12 + headerBytes.length) / 4) * 4;
  const out = Buffer.alloc(dataStart + dataBytes);
  magic.copy(out, 0);
  out.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(out, 12);
  let offset = dataStart;
  for (const group of groupNames) {
    for (const t of bundle.groups[group]) {
      toBlob(t.data).copy(out, offset);
      offset += t.data.byteLength;
    }
  }
  return out;
}

function isHeader(
  value: unknown,
): value is { epoch: number; groups: Record<string, HeaderEntry[]>; meta?: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null) return false;
  const { epoch, groups, meta } = value as { epoch?: unknown; groups?: unknown; meta?: unknown };
  if (typeof epoch !== 'number' || typeof groups !== 'object' || groups === null) return false;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) return false;
  return Object.values(groups).every(
    (list) =>
      Array.isArray(list) &&
      list.every((e: unknown) => {
        if (typeof e !== 'object' || e === null) return false;
        const { name, shape } = e as { name?: unknown; shape?: unknown };
        return (
          typeof name === 'string' &&
          Array.isArray(shape) &&
          shape.every((d) => Number.isInteger(d) && d >= 0)
        );
      }),
  );
}

/** Decodes what {@link encodeTensorBundle} wrote; throws RangeError on a damaged blob. */
export function decodeTensorBundle(bytes: Uint8Array): TensorBundle {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || !buf.subarray(0, 8).equals(magic)) {
    throw new RangeError('The tensor blob does not start with VAETNSR1.');
  }
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > buf.length) throw new RangeError('The tensor blob is truncated (header).');
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength));
  } catch {
    throw new RangeError('The tensor blob has an unreadable header.');
  }
  if (!isHeader(header)) throw new RangeError('The tensor blob has an invalid header.');
  let offset = Math.ceil((12 + headerLength) / 4) * 4;
  const groups: Record<string, NamedArray[]> = {};
  for (const [group, entries] of Object.entries(header.groups)) {
    groups[group] = entries.map(({ name, shape }) => {
      const byteLength = elementCount(shape) * 4;
      if (offset + byteLength > buf.length)
        throw new RangeError(`The tensor blob is truncated at "${name}".`);
      const data = blobToFloat32(buf, offset, byteLength);
      offset += byteLength;
      return { name, shape, data };
    });
  }
  if (offset !== buf.length) throw new RangeError('The tensor blob has trailing bytes.');
  return header.meta ? { epoch: header.epoch, groups, meta: header.meta } : { epoch: header.epoch, groups };
}

/** Encodes the worker's {@link Checkpoint}: its tensors as data, its format and model spec in the header. */
export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  const { epoch, weights, optimizer, format, spec } = checkpoint;
  return encodeTensorBundle({ epoch, groups: { weights, optimizer }, meta: { format, spec } });
}

/** Decodes what {@link encodeCheckpoint} wrote; throws RangeError on a damaged blob or one of another format. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { epoch, groups, meta } = decodeTensorBundle(bytes);
  const spec = meta?.['spec'];
  const format = meta?.['format'];
  if ((format !== 1 && format !== 2) || typeof spec !== 'object' || spec === null) {
    throw new RangeError('The checkpoint blob is not of format 1 or 2 with a model spec.');
  }
  return {
    format,
    epoch,
    // Written by encodeCheckpoint from the worker's spec; training compares it with the run's own before use.
    spec: spec as ModelSpec,
    weights: groups['weights'] ?? [],
    optimizer: groups['optimizer'] ?? [],
  };
}

/** Encodes a list of tensors taken at an epoch (e.g. the decoder's weights). */
export function encodeTensors(epoch: number, tensors: NamedArray[]): Buffer {
  return encodeTensorBundle({ epoch, groups: { weights: tensors } });
}

/** Decodes what {@link encodeTensors} wrote. */
export function decodeTensors(bytes: Uint8Array): { epoch: number; tensors: NamedArray[] } {
  const { epoch, groups } = decodeTensorBundle(bytes);
  return { epoch, tensors: groups['weights'] ?? [] };
}
