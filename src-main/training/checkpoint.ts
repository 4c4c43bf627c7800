import type { ModelSpec } from './model-spec';

/**
 * A checkpoint as plain data: it crosses the worker boundary (its buffers are
 * transferred, not copied), is stored by the run service, and is read by
 * model export in the main process. No tfjs here.
 */

/** One named array; `data.length` is the product of `shape`. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The state after a finished epoch, enough to continue the same training curve. */
export interface Checkpoint {
  /**
   * Format of this object, for stored checkpoints read by a later version.
   * 2 adds Adam's accumulated β powers ({@link accBetaNames}), which make a
   * resume bit-exact; a format-1 checkpoint resumes approximately (the powers
   * are recomputed by `pow`, which differs from t float32 multiplications in
   * the last bits, and training amplifies that).
   */
  format: CheckpointFormat;
  /** The last finished epoch (1-based); training resumes at `epoch + 1`. */
  epoch: number;
  /** The model these weights belong to. */
  spec: ModelSpec;
  /** Every weight, named as in model-spec.ts (`enc/dense0/kernel`, …), in plan order. */
  weights: NamedArray[];
  /**
   * Adam's state: `iterations` (shape [], the number of steps taken), then for
   * each weight `${name}/m` and `${name}/v` (first and second moments), all
   * m's first in plan order, then all v's, as tfjs' Adam lays them out;
   * from format 2 on, also `accBeta1` and `accBeta2` (shape [], β1ᵗ⁺¹ and
   * β2ᵗ⁺¹ exactly as the optimizer holds them).
   */
  optimizer: NamedArray[];
}

/** Checkpoint formats this version reads; it writes {@link checkpointFormat}. */
export type CheckpointFormat = 1 | 2;

/** The format written by this version. */
export const checkpointFormat = 2;

/** Name of the optimizer entry that holds Adam's step count. */
export const iterationsName = 'iterations';

/** Names of the optimizer entries holding Adam's bias-correction powers (format 2). */
export const accBetaNames = ['accBeta1', 'accBeta2'] as const;

/** True when the checkpoint holds everything the next step depends on (see {@link Checkpoint.format}). */
export function resumesExactly(checkpoint: Checkpoint): boolean {
  // No optimizer step taken yet: nothing to restore, so nothing can differ.
  const steps = checkpoint.optimizer.find((entry) => entry.name === iterationsName)?.data[0] ?? 0;
  if (steps === 0) return true;
  const names = new Set(checkpoint.optimizer.map((entry) => entry.name));
  return checkpoint.format >= 2 && accBetaNames.every((name) => names.has(name));
}

/**
 * The buffers of these arrays that can be transferred, each once: only those
 * an array spans whole. A view into a larger buffer (a Node Buffer's pool, a
 * dataset file) is left to be copied, since transferring would detach the rest.
 */
export function ownedBuffers(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) {
    const { buffer } = array;
    if (buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === buffer.byteLength)
      buffers.add(buffer);
  }
  return [...buffers];
}

/** The buffers of a checkpoint for a postMessage transfer list. */
export function checkpointBuffers(checkpoint: Checkpoint): ArrayBuffer[] {
  return ownedBuffers([...checkpoint.weights, ...checkpoint.optimizer].map((array) => array.data));
}

/** The weights of a checkpoint by name. */
export function weightMap(weights: readonly NamedArray[]): Map<string, NamedArray> {
  return new Map(weights.map((w) => [w.name, w]));
}
