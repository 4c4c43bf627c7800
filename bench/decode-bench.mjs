#!/usr/bin/env node
// runs:decode benchmark: decodes a manifold (30×30 by default) of a conv run
// through the real core (store, decode service, training host and worker) and
// reports how long each decode takes and what it does to the main thread: the
// event loop's lag (perf_hooks.monitorEventLoopDelay) and the round-trip time
// of app:info sent every turn of the loop while decoding. With --train, a run
// trains meanwhile (decoding then goes to the decode worker). --control runs the
// same app:info loop for as long as a decode takes, without decoding: the
// machine's own noise floor (a shared machine preempts the main thread too).
//
//   npm run build:node && node bench/decode-bench.mjs [--arch conv] [--grid 30] [--repeats 5] [--train]
//                                                     [--dist PATH] [--json]
// --dist points at another build's dist/node (e.g. an older commit's) to compare.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'conv' },
    grid: { type: 'string', default: '30' },
    repeats: { type: 'string', default: '5' },
    train: { type: 'boolean', default: false },
    control: { type: 'boolean', default: false },
    dist: { type: 'string', default: path.join(root, 'dist', 'node') },
    json: { type: 'boolean', default: false },
  },
});

const dist = path.resolve(values.dist);
const { createCore } = require(path.join(dist, 'src-main', 'core', 'core.js'));
const { presetById } = require(path.join(dist, 'shared', 'hyperparams.js'));
const { initialWeights } = require(path.join(dist, 'src-main', 'training', 'model.js'));
const { decoderWeightNames, modelSpecFor, planModel } = require(
  path.join(dist, 'src-main', 'training', 'model-spec.js'),
);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const ms = (ns) => ns / 1e6;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const grid = Number(values.grid);
  const repeats = Number(values.repeats);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-decode-bench-'));
  const core = createCore({ dataDir, shell: 'in-process', logError: () => undefined });
  try {
    const hyperparams = presetById(values.arch === 'conv' ? 'keras-conv' : 'keras-blog').hyperparams;
    const run = core.store.createRun({ hyperparams, datasetHash: 'bench' });
    const plan = planModel(modelSpecFor(hyperparams, { height: 28, width: 28, channels: 1 }));
    const names = new Set(decoderWeightNames(plan));
    core.store.recordEpoch({
      runId: run.id,
      metrics: {
        epoch: 1,
        train: { loss: 0, recon: 0, kl: 0 },
        test: { loss: 0, recon: 0, kl: 0 },
        beta: 1,
        seconds: 1,
        samplesPerSecond: 1,
      },
      decoderWeights: initialWeights({ plan, seed: 1 }).filter((w) => names.has(w.name)),
    });
    const points = [];
    for (let i = 0; i < grid; i++)
      for (let j = 0; j < grid; j++)
        points.push([-2 + (4 * j) / Math.max(grid - 1, 1), 2 - (4 * i) / Math.max(grid - 1, 1)]);

    let training = null;
    if (values.train) {
      const started = await core.dispatch('runs:start', {
        hyperparams: { ...presetById('keras-blog').hyperparams, epochs: 50 },
        backend: 'wasm',
      });
      if (!started.ok) throw new Error(started.error.message);
      training = started.value.id;
      // Decode once the worker trains, not while it loads its data.
      await new Promise((resolve) => {
        const off = core.events.onAny((event) => {
          if (event === 'run:progress') {
            off();
            resolve();
          }
        });
      });
    }

    const decode = async () => {
      const result = await core.dispatch('runs:decode', { runId: run.id, points });
      if (!result.ok) throw new Error(result.error.message);
      if (result.value.count !== points.length) throw new Error('wrong count');
    };
    // Warm-up: starts the worker (or decode worker) and its backend, reads the weights once.
    const warmStart = performance.now();
    await decode();
    const firstMs = performance.now() - warmStart;

    const lag = monitorEventLoopDelay({ resolution: 1 });
    const decodeMs = [];
    const infoMs = [];
    // Longest stretch without an app:info answer: what a request arriving then would wait.
    let maxGapMs = 0;
    lag.enable();
    // The histogram's first timer tick only starts its clock: let it tick before decoding.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let r = 0; r < repeats; r++) {
      let done = false;
      const started = performance.now();
      // From the request on: a decode on the main thread may block before dispatch even returns.
      let lastAnswer = started;
      const work = values.control
        ? new Promise((resolve) => setTimeout(resolve, Math.max(firstMs / 2, 500)))
        : decode();
      const decoding = work.then(() => {
        done = true;
        decodeMs.push(performance.now() - started);
      });
      while (!done) {
        const t = performance.now();
        const info = await core.dispatch('app:info', {});
        if (!info.ok) throw new Error(info.error.message);
        const now = performance.now();
        infoMs.push(now - t);
        maxGapMs = Math.max(maxGapMs, now - lastAnswer);
        lastAnswer = now;
        await nextTurn();
      }
      await decoding;
      maxGapMs = Math.max(maxGapMs, performance.now() - lastAnswer);
    }
    // One more timer turn, so that a delay that ended with the decode is recorded.
    await new Promise((resolve) => setTimeout(resolve, 20));
    lag.disable();
    if (training) core.runs.stop(training);

    decodeMs.sort((a, b) => a - b);
    infoMs.sort((a, b) => a - b);
    const row = {
      arch: values.arch,
      points: points.length,
      training: values.train,
      control: values.control,
      dist: path.relative(root, dist) || dist,
      firstDecodeMs: Math.round(firstMs),
      decodeMsMedian: Math.round(percentile(decodeMs, 50)),
      loopLagMsP50: +ms(lag.percentile(50)).toFixed(1),
      loopLagMsP99: +ms(lag.percentile(99)).toFixed(1),
      loopLagMsMax: +ms(lag.max).toFixed(1),
      appInfoCalls: infoMs.length,
      appInfoMsP99: +percentile(infoMs, 99).toFixed(1),
      appInfoMsMax: +infoMs[infoMs.length - 1].toFixed(1),
      maxGapBetweenAnswersMs: Math.round(maxGapMs),
    };
    if (values.json) console.log(JSON.stringify(row));
    else for (const [k, v] of Object.entries(row)) console.log(`${k.padEnd(22)} ${v}`);
  } finally {
    await core.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
