import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { presetById, type Hyperparams } from '../../../shared/hyperparams';
import type { BatchProgress, RunSummary } from '../../../shared/run';
import { createCore, type Core } from '../../../src-main/core/core';
import { StoreError } from '../../../src-main/store';
import type { TrainingHostLike } from '../../../src-main/core/run-service';
import type { Checkpoint } from '../../../src-main/training/checkpoint';
import type {
  DecodeRequest,
  DecodedImages,
  RunEnd,
  RunEpoch,
  RunStarted,
  TrainingJob,
} from '../../../src-main/training/host';
import { modelSpecFor, planModel, weightSpecs } from '../../../src-main/training/model-spec';
import type { BatchLoss } from '../../../src-main/training/protocol';
import { metrics, snapshot, tempDir } from '../store/fixtures';

/** A training host that does what the test tells it, when it tells it. */
class FakeHost implements TrainingHostLike {
  jobs: TrainingJob[] = [];
  stops: string[] = [];
  decodes: DecodeRequest[] = [];
  private resolveStart: ((started: RunStarted) => void) | null = null;
  private readonly progress = new Set<(p: BatchProgress) => void>();
  private readonly epochs = new Set<(e: RunEpoch) => void>();
  private readonly ends = new Set<(e: RunEnd) => void>();
  private readonly batches = new Set<(b: { runId: string; batches: BatchLoss[] }) => void>();

  start(job: TrainingJob): Promise<RunStarted> {
    this.jobs.push(job);
    return new Promise((resolve) => (this.resolveStart = resolve));
  }
  stop(runId: string): boolean {
    this.stops.push(runId);
    return true;
  }
  onProgress(l: (p: BatchProgress) => void) {
    this.progress.add(l);
    return () => this.progress.delete(l);
  }
  onEpoch(l: (e: RunEpoch) => void) {
    this.epochs.add(l);
    return () => this.epochs.delete(l);
  }
  onEnd(l: (e: RunEnd) => void) {
    this.ends.add(l);
    return () => this.ends.delete(l);
  }
  onBatches(l: (b: { runId: string; batches: BatchLoss[] }) => void) {
    this.batches.add(l);
    return () => this.batches.delete(l);
  }
  dispose(): Promise<void> {
    return Promise.resolve();
  }
  /** Images whose every byte is the request's number (1-based): which weights served is visible. */
  decode(request: DecodeRequest): Promise<DecodedImages> {
    this.decodes.push(request);
    const { height, width, channels } = request.spec.image;
    const images = new Uint8Array(request.count * height * width * channels).fill(this.decodes.length);
    return Promise.resolve({ images, count: request.count });
  }

  ready(runId: string) {
    this.resolveStart?.({ runId, backend: 'wasm', device: 'CPU (WebAssembly)', notes: [] });
  }
  epoch(runId: string, epoch: number, hp: Hyperparams) {
    for (const l of this.batches)
      l({ runId, batches: [{ step: epoch, epoch, loss: 200, recon: 190, kl: 10 }] });
    for (const l of this.epochs)
      l({ runId, metrics: metrics(epoch), snapshot: snapshot(epoch), checkpoint: checkpointFor(hp, epoch) });
  }
  end(runId: string, status: RunEnd['status'], message = '') {
    for (const l of this.ends) l({ runId, status, message, lastEpoch: null });
  }
}

function checkpointFor(hp: Hyperparams, epoch: number): Checkpoint {
  const spec = modelSpecFor(hp, { height: 28, width: 28, channels: 1 });
  const weights = weightSpecs(planModel(spec)).map((w) => ({
    name: w.name,
    shape: [...w.shape],
    data: new Float32Array(w.shape.reduce((a, b) => a * b, 1)).fill(0.01),
  }));
  return { format: 1, epoch, spec, weights, optimizer: [] };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const hp: Hyperparams = {
  ...presetById('keras-blog').hyperparams,
  hidden: [8],
  epochs: 3,
  trainLimit: 256,
  testLimit: 64,
};

let dir: ReturnType<typeof tempDir>;
let host: FakeHost;
let core: Core;
let statuses: RunSummary['status'][];

beforeEach(() => {
  dir = tempDir('vae-service-');
  host = new FakeHost();
  core = createCore({
    dataDir: dir.dir,
    shell: 'in-process',
    version: '1.0.0',
    host,
    logError: () => undefined,
  });
  statuses = [];
  core.events.onAny((event, payload) => {
    if (event === 'run:status') statuses.push((payload as { run: RunSummary }).run.status);
  });
});

afterEach(async () => {
  await core.close();
  dir.cleanup();
});

async function start(overrides: Partial<Hyperparams> = {}) {
  const result = await core.dispatch('runs:start', { hyperparams: { ...hp, ...overrides } });
  if (!result.ok) throw new Error(result.error.message);
  return result.value as RunSummary;
}

describe('run service', () => {
  it('queues, runs and completes a run, recording each epoch and the backend', async () => {
    const run = await start();
    expect(run.status).toBe('queued');
    expect(host.jobs[0]).toMatchObject({ runId: run.id, startEpoch: 1, checkpoint: null, backend: 'auto' });
    host.ready(run.id);
    await tick();
    host.epoch(run.id, 1, hp);
    host.epoch(run.id, 2, hp);
    host.end(run.id, 'completed', 'done');
    const stored = core.store.getRun(run.id);
    expect(stored.status).toBe('completed');
    expect(stored.backend).toBe('wasm');
    expect(stored.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(stored.checkpointEpoch).toBe(2);
    expect(statuses).toEqual(['queued', 'running', 'completed']);
  });

  it('runs one at a time and starts the next when the first ends', async () => {
    const first = await start();
    const second = await start();
    expect(host.jobs.map((j) => j.runId)).toEqual([first.id]);
    host.ready(first.id);
    await tick();
    host.end(first.id, 'completed');
    await tick();
    expect(host.jobs.map((j) => j.runId)).toEqual([first.id, second.id]);
  });

  it('stops a queued run at once and a running one through the host', async () => {
    const first = await start();
    const second = await start();
    expect((await core.dispatch('runs:stop', { runId: second.id })).ok).toBe(true);
    expect(core.store.getRunSummary(second.id).status).toBe('stopped');
    await core.dispatch('runs:stop', { runId: first.id });
    expect(host.stops).toEqual([first.id]);
  });

  it('resumes a stopped run from its checkpoint', async () => {
    const run = await start();
    host.ready(run.id);
    await tick();
    host.epoch(run.id, 1, hp);
    host.end(run.id, 'stopped', 'Stopped by the user.');
    const resumed = await core.dispatch('runs:resume', { runId: run.id });
    expect(resumed).toMatchObject({ ok: true, value: { status: 'queued' } });
    await tick();
    expect(host.jobs[1]).toMatchObject({ runId: run.id, startEpoch: 2 });
    expect(host.jobs[1]?.checkpoint?.epoch).toBe(1);
  });

  it('says when a run resumes from an older checkpoint that cannot continue bit for bit', async () => {
    const run = await start();
    host.ready(run.id);
    await tick();
    host.epoch(run.id, 1, hp);
    host.end(run.id, 'stopped', 'Stopped by the user.');
    // A format-1 checkpoint after some steps: Adam's β powers were not saved.
    const old = checkpointFor(hp, 1);
    core.store.recordEpoch({
      runId: run.id,
      metrics: metrics(1),
      checkpoint: { ...old, optimizer: [{ name: 'iterations', shape: [], data: Float32Array.of(4) }] },
    });
    await core.dispatch('runs:resume', { runId: run.id });
    await tick();
    host.ready(run.id);
    await tick();
    expect(core.store.getRunSummary(run.id).statusMessage).toMatch(
      /older version \(format 1\).*approximately/,
    );
  });

  it('decodes latent points on the host with the stored decoder of an epoch, read once per epoch', async () => {
    const run = await start();
    host.ready(run.id);
    await tick();
    host.epoch(run.id, 1, hp);
    const decoded = await core.dispatch('runs:decode', {
      runId: run.id,
      points: [
        [0, 0],
        [1, -1],
      ],
    });
    expect(decoded.ok).toBe(true);
    const value = (decoded as { value: { images: Uint8Array; count: number } }).value;
    expect(value.count).toBe(2);
    expect(value.images.length).toBe(2 * 784);
    const [first] = host.decodes;
    expect(Array.from(first!.points)).toEqual([0, 0, 1, -1]);
    expect(first!.count).toBe(2);
    expect(first!.spec).toEqual(modelSpecFor(hp, { height: 28, width: 28, channels: 1 }));
    // The decoder's weights only, as recorded for epoch 1.
    expect(first!.weights.map((w) => w.name)).toEqual(
      weightSpecs(planModel(first!.spec))
        .map((w) => w.name)
        .filter((name) => name.startsWith('dec/')),
    );
    expect(await core.dispatch('runs:decode', { runId: run.id, points: [[0, 0, 0]] })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    // A hover: the same weights again, under the same key (the worker keeps its decoder).
    await core.dispatch('runs:decode', { runId: run.id, epoch: 1, points: [[0.5, 0.5]] });
    expect(host.decodes[1]?.key).toBe(first!.key);
    // Epoch 1 trained again (a resume from an earlier checkpoint): new weights, new key.
    host.epoch(run.id, 1, hp);
    await core.dispatch('runs:decode', { runId: run.id, epoch: 1, points: [[0.5, 0.5]] });
    expect(host.decodes[2]?.key).not.toBe(first!.key);
  });

  it('rejects a batch larger than the training set, and an unknown dataset, naming what to change', async () => {
    expect(await core.dispatch('runs:start', { hyperparams: { ...hp, batchSize: 512 } })).toEqual({
      ok: false,
      error: {
        code: 'invalid_argument',
        message:
          'Batch size 512 is larger than the training set (256 images); lower the batch size or use more training images.',
      },
    });
    expect(await core.dispatch('runs:start', { hyperparams: { ...hp, dataset: 'cifar' } })).toMatchObject({
      ok: false,
      error: {
        code: 'not_found',
        message: expect.stringContaining('There is no dataset named "cifar"') as string,
      },
    });
  });

  it('stops the run cleanly when its results cannot be stored, keeping what was stored', async () => {
    const run = await start();
    host.ready(run.id);
    await tick();
    host.epoch(run.id, 1, hp);
    // The store's own full-disk handling is tested with the store; here it only has to fail as it would.
    const spy = vi.spyOn(core.store, 'recordEpoch').mockImplementation(() => {
      throw new StoreError('io_error', 'The disk is full.');
    });
    host.epoch(run.id, 2, hp);
    expect(host.stops).toEqual([run.id]);
    spy.mockRestore();
    host.end(run.id, 'stopped');
    const stored = core.store.getRun(run.id);
    expect(stored.status).toBe('failed');
    expect(stored.statusMessage).toBe(
      'Training stopped because its results could not be saved: The disk is full.',
    );
    expect(stored.epochs.map((e) => e.epoch)).toEqual([1]);
  });

  it('refuses to delete a run that is training', async () => {
    const run = await start();
    expect(await core.dispatch('runs:delete', { runId: run.id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  });
});

describe('datasets:images', () => {
  it('returns the images and labels of MNIST by index, and refuses an index past the end', async () => {
    const result = await core.dispatch('datasets:images', { name: 'mnist', split: 'train', indices: [0, 1] });
    expect(result.ok).toBe(true);
    const value = (result as { value: { images: Uint8Array; labels: Uint8Array; count: number } }).value;
    expect(value.count).toBe(2);
    expect(value.images.length).toBe(2 * 784);
    // MNIST's first two training digits are a 5 and a 0.
    expect(Array.from(value.labels)).toEqual([5, 0]);
    expect(
      await core.dispatch('datasets:images', { name: 'mnist', split: 'test', indices: [10_000] }),
    ).toEqual({
      ok: false,
      error: {
        code: 'invalid_argument',
        message: 'Image 10000 does not exist: the test set holds 10000 images.',
      },
    });
  });
});

describe('whenIdle', () => {
  it('resolves once the last run has ended', async () => {
    const run = await start();
    host.ready(run.id);
    await tick();
    let idle = false;
    const waiting = core.runs.whenIdle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    host.end(run.id, 'completed');
    await waiting;
    expect(idle).toBe(true);
  });
});
