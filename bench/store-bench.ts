/**
 * Run-store benchmark: what storage costs a training run, and how fast the
 * runs list and a comparison answer.
 *
 *   npx jiti bench/store-bench.ts [--epochs 100] [--runs 1000] [--dir /tmp/x] [--keep]
 *
 * 1. A 100-epoch run of the reference preset (MNIST, 784-256-2, batch 64:
 *    938 batches an epoch, 93,800 batch rows) written as the run service
 *    writes it: one appendBatchMetrics call per batch, then one recordEpoch
 *    per epoch with a full-size snapshot, checkpoint (weights + Adam state)
 *    and decoder weights. Reports the store's time per epoch.
 * 2. listRuns over 1,000 runs; compareRuns over 20 runs of 100 epochs; getRun
 *    (thinning 93,800 batch rows), getSnapshot, getCheckpoint, reopening.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presets } from '../shared/hyperparams';
import type { EpochMetrics, Snapshot } from '../shared/run';
import { loadavg } from 'node:os';
import { openStore, type Checkpoint, type NamedArray, type RunStore } from '../src-main/store';
import { encodeCheckpoint, encodeTensors } from '../src-main/store/tensor-codec';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const epochs = Number(arg('epochs', '100'));
const runCount = Number(arg('runs', '1000'));
const keep = process.argv.includes('--keep');
const dir = arg('dir', '') || mkdtempSync(join(tmpdir(), 'vae-store-bench-'));
const file = join(dir, 'bench.db');

const hp = presets[0]!.hyperparams;
const pixels = 784;
const trainCount = 60_000;
const testCount = 10_000;
const stepsPerEpoch = Math.ceil(trainCount / hp.batchSize); // 938

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from(random(n, seed), (v) => Math.floor((v + 0.5) * 256));
}

/** The reference MLP's weights: encoder 784→256→(2, 2), decoder 2→256→784; 404,244 parameters. */
function referenceWeights(seed: number): NamedArray[] {
  const dense = (name: string, inputs: number, units: number, i: number): NamedArray[] => [
    { name: `${name}/kernel`, shape: [inputs, units], data: random(inputs * units, seed + i) },
    { name: `${name}/bias`, shape: [units], data: random(units, seed + i + 1) },
  ];
  return [
    ...dense('enc/dense0', pixels, 256, 0),
    ...dense('enc/z_mu', 256, 2, 2),
    ...dense('enc/z_log_var', 256, 2, 4),
    ...dense('dec/dense0', 2, 256, 6),
    ...dense('dec/output', 256, pixels, 8),
  ];
}

function checkpointOf(epoch: number, weights: NamedArray[]): Checkpoint {
  const moments = (which: string) =>
    weights.map((w, i) => ({
      name: `${w.name}/${which}`,
      shape: w.shape,
      data: random(w.data.length, epoch * 31 + i),
    }));
  return {
    format: 1,
    epoch,
    spec: { arch: 'mlp', image: { height: 28, width: 28, channels: 1 }, latentDim: 2, hidden: [256] },
    weights,
    optimizer: [
      { name: 'iterations', shape: [], data: Float32Array.of(epoch * stepsPerEpoch) },
      ...moments('m'),
      ...moments('v'),
    ],
  };
}

/** A snapshot the size the engine produces for MNIST: 10-image gallery, 10,000 latent codes, 20×20 manifold, 100 prior samples. */
function snapshotOf(epoch: number): Snapshot {
  const g = 10;
  return {
    epoch,
    imageShape: { height: 28, width: 28, channels: 1 },
    galleryIndices: Array.from({ length: g }, (_, i) => i),
    gallery: {
      original: bytes(g * pixels, 1),
      mean: bytes(g * pixels, epoch),
      sampled: bytes(g * pixels, epoch + 1),
    },
    latent: {
      count: testCount,
      latentDim: 2,
      zMu: random(testCount * 2, epoch + 2),
      zLogVar: random(testCount * 2, epoch + 3),
      labels: bytes(testCount, 4).map((b) => b % 10),
    },
    manifold: { n: 20, range: 2, dims: [0, 1], images: bytes(400 * pixels, epoch + 5) },
    prior: { count: 100, images: bytes(100 * pixels, epoch + 6) },
    klPerDim: [3.1, 2.9],
  };
}

function metricsOf(epoch: number, seconds = 16): EpochMetrics {
  const loss = 150 + 30 / epoch;
  return {
    epoch,
    train: { loss: loss + 1, recon: loss - 5, kl: 6 },
    test: { loss, recon: loss - 6, kl: 6 },
    beta: 1,
    seconds,
    samplesPerSecond: trainCount / seconds,
  };
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms (n=${samples.length})`;
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const value = fn();
  return [value, performance.now() - t];
}

/** CPU milliseconds this process spent in `fn` (the machine is shared: wall time includes waiting for a core). */
function cpuTime(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall and CPU statistics of `n` calls after one warm-up call (statement and page caches). */
function repeat(n: number, fn: () => unknown): string {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = process.cpuUsage();
    wall.push(time(fn)[1]);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  return `wall ${stats(wall)}; CPU median ${median(cpu).toFixed(2)} ms`;
}

function mb(path: string): string {
  try {
    return `${(statSync(path).size / 1e6).toFixed(1)} MB`;
  } catch {
    return '0 MB';
  }
}

function trainingWrites(store: RunStore): string {
  const run = store.createRun({
    hyperparams: { ...hp, epochs },
    datasetHash: 'sha256:mnist',
    status: 'running',
  });
  const weights = referenceWeights(7);
  const decoderNames = new Set(weights.filter((w) => w.name.startsWith('dec/')).map((w) => w.name));
  const appendPerEpoch: number[] = [];
  const appendCalls: number[] = [];
  const recordPerEpoch: number[] = [];
  const recordCpu: number[] = [];
  const encodeCpu: number[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let appendTotal = 0;
    for (let s = 1; s <= stepsPerEpoch; s++) {
      step++;
      const row = [{ step, epoch, loss: 160 + Math.sin(step), recon: 150, kl: 6 + Math.cos(step) }];
      const t = performance.now();
      store.appendBatchMetrics(run.id, row);
      const dt = performance.now() - t;
      appendTotal += dt;
      appendCalls.push(dt);
    }
    appendPerEpoch.push(appendTotal);
    // What the engine hands over is built outside the timed region: only the store's work is measured.
    const checkpoint = checkpointOf(epoch, weights);
    const snapshot = snapshotOf(epoch);
    const decoderWeights = weights.filter((w) => decoderNames.has(w.name));
    const before = process.cpuUsage();
    const [, dt] = time(() =>
      store.recordEpoch({ runId: run.id, metrics: metricsOf(epoch), snapshot, checkpoint, decoderWeights }),
    );
    const used = process.cpuUsage(before);
    recordPerEpoch.push(dt);
    recordCpu.push((used.user + used.system) / 1000);
    // The part of recordEpoch that encodes tensors (before the write lock is taken).
    encodeCpu.push(cpuTime(() => [encodeCheckpoint(checkpoint), encodeTensors(epoch, decoderWeights)]));
  }
  store.setStatus({ runId: run.id, status: 'completed' });
  const perEpoch = appendPerEpoch.map((a, i) => a + recordPerEpoch[i]!);
  const mean = perEpoch.reduce((a, b) => a + b, 0) / perEpoch.length;
  console.log(
    `\n1. Training writes: ${epochs} epochs × ${stepsPerEpoch} batches = ${step.toLocaleString()} batch rows`,
  );
  console.log(`   appendBatchMetrics, one call per batch:     ${stats(appendCalls)}`);
  console.log(`   appendBatchMetrics, sum per epoch:           ${stats(appendPerEpoch)}`);
  console.log(
    `   recordEpoch (metrics+snapshot+checkpoint+decoder, one transaction): wall ${stats(recordPerEpoch)}`,
  );
  console.log(
    `     CPU median ${median(recordCpu).toFixed(2)} ms, of which encoding checkpoint + decoder ${median(encodeCpu).toFixed(2)} ms`,
  );
  console.log(`   store time per epoch, total:                 ${stats(perEpoch)}`);
  console.log(
    `   = ${((mean / 16_000) * 100).toFixed(3)} % of a 16 s epoch (tfjs wasm, this machine), ` +
      `${((mean / 2_000) * 100).toFixed(2)} % of a 2 s epoch (PyTorch speed)`,
  );
  console.log(`   database after the run: ${mb(file)} (+ WAL ${mb(`${file}-wal`)})`);
  return run.id;
}

function listAndCompare(store: RunStore, bigRunId: string): void {
  // 19 more runs with 100 epochs of metrics each, for the comparison.
  const compareIds = [bigRunId];
  for (let r = 0; r < 19; r++) {
    const run = store.createRun({
      hyperparams: { ...hp, epochs: 100, beta: 1 + r / 10 },
      datasetHash: 'sha256:mnist',
      status: 'running',
    });
    for (let e = 1; e <= 100; e++) store.recordEpoch({ runId: run.id, metrics: metricsOf(e) });
    store.setStatus({ runId: run.id, status: 'completed' });
    compareIds.push(run.id);
  }
  // Fill up to runCount runs, most with a couple of epochs.
  const statuses = ['completed', 'stopped', 'failed'] as const;
  for (let r = compareIds.length; r < runCount; r++) {
    const run = store.createRun({
      hyperparams: { ...hp, latentDim: 1 + (r % 20), seed: r },
      datasetHash: 'sha256:mnist',
      name: `bench run ${r}`,
      tags: r % 7 === 0 ? ['sweep'] : [],
      status: 'running',
    });
    store.recordEpoch({ runId: run.id, metrics: metricsOf(1 + (r % 3)) });
    store.setStatus({ runId: run.id, status: statuses[r % 3]! });
  }
  console.log(`\n2. Reads on ${store.listRuns().length} runs`);
  console.log(`   listRuns() all, newest first:               ${repeat(20, () => store.listRuns())}`);
  console.log(
    `   listRuns({ sort: 'testLoss' }):             ${repeat(20, () => store.listRuns({ sort: 'testLoss' }))}`,
  );
  console.log(
    `   listRuns({ text: 'sweep' }):                ${repeat(20, () => store.listRuns({ text: 'sweep' }))}`,
  );
  console.log(
    `   listRuns({ status: ['failed'], limit: 50 }): ${repeat(20, () => store.listRuns({ status: ['failed'], limit: 50 }))}`,
  );
  console.log(
    `   compareRuns(20 runs × 100 epochs):           ${repeat(20, () => store.compareRuns(compareIds))}`,
  );
  console.log(
    `   getRun(100-epoch run, ${(epochs * stepsPerEpoch).toLocaleString()} batch rows → ≤2000 points): ${repeat(10, () => store.getRun(bigRunId))}`,
  );
  console.log(
    `   getSnapshot(latest):                         ${repeat(10, () => store.getSnapshot(bigRunId))}`,
  );
  console.log(
    `   getCheckpoint (1.2 M floats):                ${repeat(10, () => store.getCheckpoint(bigRunId))}`,
  );
  console.log(
    `   getDecoderWeights(epoch 50):                 ${repeat(10, () => store.getDecoderWeights(bigRunId, Math.min(50, epochs)))}`,
  );
}

function main(): void {
  console.log(
    `Run-store benchmark — database ${file}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const store = openStore({ path: file, appVersion: 'bench' });
  let bigRunId: string;
  try {
    bigRunId = trainingWrites(store);
    listAndCompare(store, bigRunId);
  } finally {
    store.close();
  }
  const [reopened, openMs] = time(() => openStore({ path: file, appVersion: 'bench' }));
  const [, deleteMs] = time(() => reopened.deleteRun(bigRunId));
  reopened.close();
  console.log(
    `\n3. openStore on the ${mb(file)} database: ${openMs.toFixed(1)} ms; deleteRun(100-epoch run): ${deleteMs.toFixed(1)} ms`,
  );
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

main();
