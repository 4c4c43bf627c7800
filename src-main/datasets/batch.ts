import type { DatasetSplit } from './types';

// v/255 for every byte value, computed once: a table lookup is faster than a
// division per pixel and gives exactly the float32 of v/255.
const BYTE_TO_UNIT = new Float32Array(256);
for (let v = 0; v < 256; v++) BYTE_TO_UNIT[v] = v / 255;

/** Arguments of {@link fillBatch}. */
export interface FillBatchArgs {
  split: DatasetSplit;
  /** Image indices into `split`, e.g. from `shuffledIndices`. */
  indices: ArrayLike<number>;
  /** First position in `indices` to take; 0 by default. */
  start?: number;
  /** How many images to take; by default as many as fit in `out` and remain in `indices`. */
  count?: number;
  /** Receives `count × pixelsPerImage` floats in [0, 1], image after image. */
  out: Float32Array;
  /** Receives the label of each image taken, if given. */
  labelsOut?: Uint8Array | Int32Array | Float32Array;
}

/** Bytes per image of a split (`height × width × channels`). */
export function pixelsPerImage(split: DatasetSplit): number {
  return split.count === 0 ? 0 : split.images.length / split.count;
}

/**
 * Copies the images at `indices[start .. start+count)` into the preallocated
 * `out`, scaled from 0–255 to [0, 1], so the training loop can build each batch
 * without allocating (the set itself stays uint8).
 *
 * @returns the number of images written (smaller than asked at the end of `indices`).
 * @throws {RangeError} when `out` is too small or an index is outside the split.
 */
export function fillBatch(args: FillBatchArgs): number {
  const { split, indices, out, labelsOut } = args;
  const start = args.start ?? 0;
  const pixels = pixelsPerImage(split);
  const available = Math.max(0, indices.length - start);
  const count = Math.min(args.count ?? Math.floor(out.length / Math.max(pixels, 1)), available);
  if (count * pixels > out.length) {
    throw new RangeError(`out holds ${out.length} floats but ${count} images need ${count * pixels}`);
  }
  if (labelsOut && labelsOut.length < count) {
    throw new RangeError(`labelsOut holds ${labelsOut.length} values but ${count} images were asked for`);
  }
  const { images, labels } = split;
  for (let i = 0; i < count; i++) {
    const index = indices[start + i] as number;
    if (!(index >= 0 && index < split.count) || !Number.isInteger(index)) {
      throw new RangeError(`index ${index} is outside the split (0..${split.count - 1})`);
    }
    const from = index * pixels;
    const to = i * pixels;
    for (let p = 0; p < pixels; p++) out[to + p] = BYTE_TO_UNIT[images[from + p] as number] as number;
    if (labelsOut) labelsOut[i] = labels[index] as number;
  }
  return count;
}
