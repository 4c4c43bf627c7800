import { blobToFloat32, blobToInt32, toBlob } from './blobs';
import type { BatchLoss } from './types';

/**
 * Batch metrics are stored in chunks: one row per flushed run of consecutive
 * batches of one epoch, with each column as a typed-array BLOB. A 100-epoch
 * run of the reference preset has 93,800 batches; as one SQL row each (with
 * the 36-character run id repeated in every key) that is ~7 MB and ~100 ms to
 * read back on these machines, as ~100 chunks it is 1.5 MB and a few ms.
 * Losses are float32, the precision the engine computes them in.
 */

/** One chunk as bound to the insert statement. */
export interface EncodedChunk {
  firstStep: number;
  epoch: number;
  count: number;
  steps: Buffer;
  loss: Buffer;
  recon: Buffer;
  kl: Buffer;
}

/** A chunk row as read back. */
export interface ChunkRow {
  epoch: number;
  count: number;
  steps: Buffer;
  loss: Buffer;
  recon: Buffer;
  kl: Buffer;
}

/** All batch metrics of a run, in step order, one entry per step. */
export interface BatchSeries {
  steps: Int32Array;
  epochs: Int32Array;
  loss: Float32Array;
  recon: Float32Array;
  kl: Float32Array;
}

/** Splits rows into one chunk per epoch (in arrival order) and encodes each. */
export function encodeChunks(rows: readonly BatchLoss[]): EncodedChunk[] {
  const groups: BatchLoss[][] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.epoch === row.epoch) last.push(row);
    else groups.push([row]);
  }
  return groups.map((group) => ({
    firstStep: group[0]!.step,
    epoch: group[0]!.epoch,
    count: group.length,
    steps: toBlob(Int32Array.from(group, (r) => r.step)),
    loss: toBlob(Float32Array.from(group, (r) => r.loss)),
    recon: toBlob(Float32Array.from(group, (r) => r.recon)),
    kl: toBlob(Float32Array.from(group, (r) => r.kl)),
  }));
}

/**
 * Concatenates chunks (given in insertion order) into one series sorted by
 * step. Where a step occurs twice (a resumed epoch re-sent it), the later
 * chunk wins.
 */
export function decodeChunks(chunks: readonly ChunkRow[]): BatchSeries {
  const total = chunks.reduce((n, c) => n + c.count, 0);
  const steps = new Int32Array(total);
  const epochs = new Int32Array(total);
  const loss = new Float32Array(total);
  const recon = new Float32Array(total);
  const kl = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    steps.set(blobToInt32(c.steps), at);
    epochs.fill(c.epoch, at, at + c.count);
    loss.set(blobToFloat32(c.loss), at);
    recon.set(blobToFloat32(c.recon), at);
    kl.set(blobToFloat32(c.kl), at);
    at += c.count;
  }
  let increasing = true;
  for (let i = 1; i < total && increasing; i++) increasing = steps[i - 1]! < steps[i]!;
  if (increasing) return { steps, epochs, loss, recon, kl };
  // Rare path: keep the last occurrence of each step, then order by step.
  const lastIndex = new Map<number, number>();
  for (let i = 0; i < total; i++) lastIndex.set(steps[i]!, i);
  const order = [...lastIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  const pick = <T extends Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
    const out = make(order.length);
    order.forEach((from, to) => (out[to] = a[from]!));
    return out;
  };
  return {
    steps: pick(steps, (n) => new Int32Array(n)),
    epochs: pick(epochs, (n) => new Int32Array(n)),
    loss: pick(loss, (n) => new Float32Array(n)),
    recon: pick(recon, (n) => new Float32Array(n)),
    kl: pick(kl, (n) => new Float32Array(n)),
  };
}

/**
 * At most `maxPoints` points `[step, loss, recon, kl]`: every step when there
 * are few enough, otherwise means over buckets of `ceil(lastStep / maxPoints)`
 * consecutive steps, placed at the bucket's mean step. Means (not samples)
 * keep the curve's level honest; NaN in a bucket makes its mean NaN, so a
 * divergence stays visible.
 */
export function thinSeries(series: BatchSeries, maxPoints: number): [number, number, number, number][] {
  const n = series.steps.length;
  if (n <= maxPoints) {
    return Array.from({ length: n }, (_, i) => [
      series.steps[i]!,
      series.loss[i]!,
      series.recon[i]!,
      series.kl[i]!,
    ]);
  }
  const bucket = Math.ceil(series.steps[n - 1]! / maxPoints);
  const out: [number, number, number, number][] = [];
  let key = -1;
  let count = 0;
  let step = 0;
  let loss = 0;
  let recon = 0;
  let kl = 0;
  const emit = () => {
    if (count > 0) out.push([Math.round(step / count), loss / count, recon / count, kl / count]);
  };
  for (let i = 0; i < n; i++) {
    const k = Math.floor((series.steps[i]! - 1) / bucket);
    if (k !== key) {
      emit();
      key = k;
      count = step = loss = recon = kl = 0;
    }
    count++;
    step += series.steps[i]!;
    loss += series.loss[i]!;
    recon += series.recon[i]!;
    kl += series.kl[i]!;
  }
  emit();
  return out;
}
