import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BatchProgress } from '../../../shared/run';
import {
  type RunBatches,
  type RunEnd,
  type RunEpoch,
  TrainingHost,
  type TrainingJob,
} from '../../../src-main/training/host';
import { TrainingError } from '../../../src-main/training/errors';
import { hyperparams } from './helpers';

// The worker runs compiled JavaScript: `npx tsc -p tsconfig.node.json` first.
const workerPath = path.resolve(__dirname, '../../../dist/node/src-main/training/worker.js');

function job(overrides: Partial<TrainingJob> = {}): TrainingJob {
  return {
    runId: 'run-1',
    hyperparams: hyperparams({ epochs: 2, hidden: [32], trainLimit: 256, testLimit: 64 }),
    backend: 'wasm',
    dataset: { name: 'mnist', dataDir: os.tmpdir() },
    checkpoint: null,
    startEpoch: 1,
    ...overrides,
  };
}

function collect(host: TrainingHost) {
  const progress: BatchProgress[] = [];
  const epochs: RunEpoch[] = [];
  const ends: RunEnd[] = [];
  const batches: RunBatches[] = [];
  let notify: (() => void) | null = null;
  const unsubscribe = [
    host.onProgress((p) => {
      progress.push(p);
      notify?.();
    }),
    host.onEpoch((e) => epochs.push(e)),
    host.onBatches((b) => batches.push(b)),
    host.onEnd((e) => {
      ends.push(e);
      notify?.();
    }),
  ];
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      if (condition()) return resolve();
      notify = () => {
        if (condition()) {
          notify = null;
          resolve();
        }
      };
    });
  return { progress, epochs, ends, batches, until, close: () => unsubscribe.forEach((u) => u()) };
}

const maybe = existsSync(workerPath) ? describe : describe.skip;

maybe('TrainingHost', () => {
  let host: TrainingHost;
  beforeAll(() => {
    host = new TrainingHost({ workerPath });
  });
  afterAll(async () => {
    await host.dispose();
  });

  test('runs a job on the worker: ready, throttled progress, epochs with transferred arrays, completed', async () => {
    const events = collect(host);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = await host.start(job());
    expect(started).toMatchObject({ runId: 'run-1', backend: 'wasm' });
    expect(started.device).toMatch(/WebAssembly/);
    await events.until(() => events.ends.length === 1);
    clearInterval(timer);
    events.close();

    expect(events.ends[0]).toMatchObject({ runId: 'run-1', status: 'completed', lastEpoch: 2 });
    // 256 images in batches of 64: 4 steps an epoch, every one of them reported once.
    expect(events.batches.flatMap((b) => b.batches.map((l) => l.step))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.batches.every((b) => b.runId === 'run-1')).toBe(true);
    expect(events.epochs.map((e) => e.metrics.epoch)).toEqual([1, 2]);
    const last = events.epochs[1];
    expect(last?.snapshot.latent.zMu).toBeInstanceOf(Float32Array);
    expect(last?.snapshot.latent.count).toBe(64);
    expect(last?.snapshot.manifold.images).toBeInstanceOf(Uint8Array);
    expect(last?.checkpoint.weights[0]?.data).toBeInstanceOf(Float32Array);
    expect(last?.checkpoint.epoch).toBe(2);
    expect(Number.isFinite(last?.metrics.test.loss)).toBe(true);
    // The last step of each epoch is always reported.
    expect(events.progress.filter((p) => p.step === p.stepsPerEpoch).map((p) => p.epoch)).toEqual([1, 2]);
    // The main event loop kept turning while the worker trained.
    expect(ticks).toBeGreaterThan(3);
  });

  test('refuses a second run while one trains, and stops the running one on request', async () => {
    const events = collect(host);
    const long = job({
      runId: 'run-2',
      hyperparams: hyperparams({ epochs: 5, hidden: [32], batchSize: 8, trainLimit: 4096, testLimit: 64 }),
    });
    await host.start(long);
    const second = await host.start(job({ runId: 'run-3' })).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TrainingError);
    expect((second as TrainingError).code).toBe('conflict');

    await events.until(() => events.progress.length > 0);
    expect(host.stop('other-run')).toBe(false);
    expect(host.stop('run-2')).toBe(true);
    await events.until(() => events.ends.length === 1);
    events.close();
    expect(events.ends[0]).toMatchObject({ runId: 'run-2', status: 'stopped', lastEpoch: 0 });
    expect(events.ends.map((e) => e.runId)).toEqual(['run-2']);
  });

  test('a start that cannot run rejects with a coded error and ends as failed', async () => {
    const events = collect(host);
    const noNative = await host
      .start(job({ runId: 'run-6', backend: 'tensorflow' }))
      .catch((e: unknown) => e);
    expect(noNative).toBeInstanceOf(TrainingError);
    expect((noNative as TrainingError).code).toBe('unavailable');
    expect((noNative as TrainingError).message).toMatch(/tensorflow backend is not available/);

    const badEpoch = await host.start(job({ runId: 'run-7', startEpoch: 3 })).catch((e: unknown) => e);
    expect((badEpoch as TrainingError).code).toBe('invalid_argument');

    const badData = await host
      .start(job({ runId: 'run-8', dataset: { name: 'no-such-set', dataDir: os.tmpdir() } }))
      .catch((e: unknown) => e);
    expect((badData as TrainingError).code).toBe('not_found');
    events.close();
    expect(events.ends.map((e) => `${e.runId}:${e.status}`)).toEqual([
      'run-6:failed',
      'run-7:failed',
      'run-8:failed',
    ]);
  });

  test('the compiled host finds worker.js next to itself', async () => {
    const compiled = createRequire(__filename)(path.join(path.dirname(workerPath), 'host.js')) as {
      TrainingHost: typeof TrainingHost;
    };
    const own = new compiled.TrainingHost();
    try {
      const events = collect(own);
      await own.start(
        job({
          runId: 'run-9',
          hyperparams: hyperparams({ epochs: 1, hidden: [8], trainLimit: 64, testLimit: 16 }),
        }),
      );
      await events.until(() => events.ends.length === 1);
      events.close();
      expect(events.ends[0]).toMatchObject({ runId: 'run-9', status: 'completed' });
    } finally {
      await own.dispose();
    }
  });
});

// A worker that speaks the protocol and crashes on request: the host's side of a crash, in milliseconds.
const crashingWorker = `
const { parentPort } = require('node:worker_threads');
let seq = 0;
parentPort.on('message', (m) => {
  if (m.type !== 'start') return;
  const reply = (message) => parentPort.postMessage({ ...message, seq: ++seq, replyTo: m.seq, runId: m.job.runId });
  reply({ type: 'ready', backend: 'cpu', device: 'test', notes: [] });
  if (m.job.runId === 'throws') setTimeout(() => { throw new Error('out of luck'); }, 5);
  else if (m.job.runId === 'exits') setTimeout(() => process.exit(3), 5);
  else reply({ type: 'done', status: 'completed', message: '', lastEpoch: 1 });
});
`;

describe('TrainingHost when its worker dies', () => {
  let dir: string;
  let host: TrainingHost;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vae-host-'));
    const workerPath = path.join(dir, 'worker.js');
    writeFileSync(workerPath, crashingWorker);
    host = new TrainingHost({ workerPath });
  });
  afterAll(async () => {
    await host.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a crash mid-run fails the run with the reason, and a new worker takes the next run', async () => {
    const events = collect(host);
    await host.start(job({ runId: 'throws' }));
    await events.until(() => events.ends.length === 1);
    expect(events.ends[0]).toEqual({
      runId: 'throws',
      status: 'failed',
      message: 'The training worker crashed: out of luck',
      lastEpoch: null,
      error: { name: 'WorkerExit', code: 'internal', message: 'The training worker crashed: out of luck' },
    });
    await host.start(job({ runId: 'exits' }));
    await events.until(() => events.ends.length === 2);
    expect(events.ends[1]).toMatchObject({
      runId: 'exits',
      status: 'failed',
      message: 'The training worker stopped unexpectedly (exit code 3).',
    });
    await host.start(job({ runId: 'next' }));
    await events.until(() => events.ends.length === 3);
    events.close();
    expect(events.ends[2]).toMatchObject({ runId: 'next', status: 'completed', lastEpoch: 1 });
  });
});
