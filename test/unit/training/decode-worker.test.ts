import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { presetById } from '../../../shared/hyperparams';
import { createCore, type Core } from '../../../src-main/core/core';
import { TrainingError } from '../../../src-main/training/errors';
import { TrainingHost } from '../../../src-main/training/host';
import { initialWeights } from '../../../src-main/training/model';
import { decoderWeightNames, modelSpecFor, planModel } from '../../../src-main/training/model-spec';
import { metrics, tempDir } from '../store/fixtures';
import { hyperparams } from './helpers';

// The worker runs compiled JavaScript: `npx tsc -p tsconfig.node.json` first.
const workerPath = path.resolve(__dirname, '../../../dist/node/src-main/training/worker.js');
const maybe = existsSync(workerPath) ? describe : describe.skip;

/** A 30×30 manifold over [−2, 2]². */
const manifold = Array.from({ length: 900 }, (_, i) => [
  -2 + (4 * (i % 30)) / 29,
  2 - (4 * Math.floor(i / 30)) / 29,
]);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

maybe('runs:decode in a worker', () => {
  let dir: ReturnType<typeof tempDir>;
  let host: TrainingHost;
  let core: Core;
  let runId: string;
  const errors: string[] = [];

  beforeAll(() => {
    dir = tempDir('vae-decode-');
    host = new TrainingHost({ workerPath });
    core = createCore({
      dataDir: dir.dir,
      shell: 'in-process',
      version: '1.0.0',
      host,
      logError: (message) => errors.push(message),
    });
    // A conv run with the decoder of its first epoch stored, as training leaves it.
    const hp = presetById('keras-conv').hyperparams;
    const run = core.store.createRun({ hyperparams: hp, datasetHash: 'test' });
    runId = run.id;
    const plan = planModel(modelSpecFor(hp, { height: 28, width: 28, channels: 1 }));
    const names = new Set(decoderWeightNames(plan));
    core.store.recordEpoch({
      runId,
      metrics: metrics(1),
      decoderWeights: initialWeights({ plan, seed: 3 }).filter((w) => names.has(w.name)),
    });
  });
  afterAll(async () => {
    await core.close();
    dir.cleanup();
  });

  test('the main loop answers app:info while a 30×30 conv manifold decodes', async () => {
    let decoded = false;
    const decoding = core.dispatch('runs:decode', { runId, points: manifold }).then((result) => {
      decoded = true;
      return result;
    });
    // app:info round trips, one per turn of the event loop, for as long as the decode takes.
    const order: string[] = [];
    let answered = 0;
    while (!decoded) {
      const info = await core.dispatch('app:info', {});
      expect(info.ok).toBe(true);
      if (!decoded) answered++;
      if (order.length === 0) order.push('app:info');
      await nextTurn();
    }
    order.push('runs:decode');
    const result = await decoding;
    expect(result.ok).toBe(true);
    const { images, count } = (result as { value: { images: Uint8Array; count: number } }).value;
    expect(count).toBe(900);
    expect(images.length).toBe(900 * 784);
    expect(new Set(images).size).toBeGreaterThan(1);
    expect(order).toEqual(['app:info', 'runs:decode']);
    // Decoding on the main thread blocks it in one piece: only the few turns of its
    // database and folder reads answer. In a worker the loop turns all along.
    expect(answered).toBeGreaterThanOrEqual(20);
  });

  test('while a run trains, a decode worker answers before the run ends', async () => {
    const ends: string[] = [];
    const off = host.onEnd((end) => ends.push(end.status));
    // A run the store knows: the core records what the worker sends, and a run it
    // cannot record is stopped (as a full disk would stop it).
    const hp = hyperparams({ epochs: 3, hidden: [32], batchSize: 8, trainLimit: 4096, testLimit: 64 });
    const training = core.store.createRun({ hyperparams: hp, datasetHash: 'test', status: 'running' }).id;
    await host.start({
      runId: training,
      hyperparams: hp,
      backend: 'wasm',
      dataset: { name: 'mnist', dataDir: os.tmpdir() },
      checkpoint: null,
      startEpoch: 1,
    });
    const result = await core.dispatch('runs:decode', { runId, points: manifold.slice(0, 64) });
    expect(result.ok).toBe(true);
    expect(ends).toEqual([]);
    host.stop(training);
    await new Promise<void>((resolve) => {
      const poll = () => (ends.length > 0 ? resolve() : setTimeout(poll, 20));
      poll();
    });
    off();
    expect(ends).toEqual(['stopped']);
    expect(errors).toEqual([]);
  });

  test('a decode that cannot be served rejects with a coded error', async () => {
    const result = await host
      .decode({
        key: 'broken',
        spec: modelSpecFor(presetById('keras-conv').hyperparams, { height: 28, width: 28, channels: 1 }),
        weights: [],
        points: new Float32Array([0, 0]),
        count: 1,
      })
      .catch((error: unknown) => error);
    expect(result).toBeInstanceOf(TrainingError);
    expect((result as TrainingError).code).toBe('internal');
    expect((result as TrainingError).message).toMatch(/no "dec\/dense0\/kernel"/);
  });
});
