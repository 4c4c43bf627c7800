#!/usr/bin/env node
// Whole-run benchmark: trains a preset on full MNIST through the real core
// (run service, worker, store) in this process and reports seconds per epoch,
// samples/s, the main thread's event-loop lag while the worker trains, and
// the process's peak memory (the worker's included).
//
//   npm run build && node bench/train-bench.mjs [--preset keras-blog] [--epochs 1] [--backend auto]
//                                               [--train-limit N] [--test-limit N] [--json]
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { createCore } = require(path.join(root, 'dist', 'node', 'src-main', 'core', 'core.js'));
const { presetById } = require(path.join(root, 'dist', 'node', 'shared', 'hyperparams.js'));

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'keras-blog' },
    epochs: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    'train-limit': { type: 'string' },
    'test-limit': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

/** Trains one run and measures it; resolves a result row. */
export async function runTrainBench({ preset, epochs, backend, trainLimit = null, testLimit = null }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-train-bench-'));
  const core = createCore({ dataDir, shell: 'in-process', logError: () => undefined });
  const hyperparams = { ...presetById(preset).hyperparams, epochs, trainLimit, testLimit };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const started = await core.dispatch('runs:start', { hyperparams, backend });
  if (!started.ok) throw new Error(started.error.message);
  const runId = started.value.id;
  // Measure only while the worker trains: from the first progress tick to the end.
  let measuring = false;
  const off = core.events.onAny((event) => {
    if (event === 'run:progress' && !measuring) {
      measuring = true;
      lag.enable();
    }
  });
  await core.runs.whenIdle();
  lag.disable();
  off();
  clearInterval(sampler);
  const run = core.store.getRun(runId);
  await core.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const last = run.epochs.at(-1);
  return {
    preset,
    backend: run.backend,
    device: run.device,
    status: run.status,
    epochs: run.epochs.length,
    secondsPerEpoch: run.epochs.reduce((s, e) => s + e.seconds, 0) / Math.max(1, run.epochs.length),
    samplesPerSecond: run.epochs.reduce((s, e) => s + e.samplesPerSecond, 0) / Math.max(1, run.epochs.length),
    testLoss: last?.test.loss ?? null,
    eventLoopLagP99Ms: lag.percentile(99) / 1e6,
    eventLoopLagMaxMs: lag.max / 1e6,
    peakRssMb: peakRss / 2 ** 20,
  };
}

const row = await runTrainBench({
  preset: values.preset,
  epochs: Number(values.epochs),
  backend: values.backend,
  trainLimit: values['train-limit'] ? Number(values['train-limit']) : null,
  testLimit: values['test-limit'] ? Number(values['test-limit']) : null,
});
if (values.json) {
  console.log(JSON.stringify(row));
} else {
  console.log(
    `preset ${row.preset}, ${row.epochs} epoch(s) on ${row.backend} (${row.device}): ${row.status}`,
  );
  console.log('s/epoch  samples/s  test loss  event-loop lag p99 (max)  peak RSS');
  console.log(
    `${row.secondsPerEpoch.toFixed(1).padStart(7)}  ${Math.round(row.samplesPerSecond).toString().padStart(9)}  ` +
      `${(row.testLoss ?? NaN).toFixed(2).padStart(9)}  ${`${row.eventLoopLagP99Ms.toFixed(1)} ms (${row.eventLoopLagMaxMs.toFixed(1)} ms)`.padStart(24)}  ` +
      `${row.peakRssMb.toFixed(0)} MB`,
  );
}
