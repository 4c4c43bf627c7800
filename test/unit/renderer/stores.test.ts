import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { presets } from '../../../shared/hyperparams';
import type { RunSummary } from '../../../shared/run';
import { estimateEta } from '../../../src-renderer/lib/eta';
import { useAppStore } from '../../../src-renderer/stores/app';
import { useCompareStore } from '../../../src-renderer/stores/compare';
import { useDatasetsStore } from '../../../src-renderer/stores/datasets';
import { decodeBatchLimit, useExploreStore } from '../../../src-renderer/stores/explore';
import { useNewRunStore } from '../../../src-renderer/stores/new-run';
import { useOpenRunStore } from '../../../src-renderer/stores/open-run';
import { firstPageSize, pageSize, useRunsStore } from '../../../src-renderer/stores/runs';
import { writeTinyIdxSet } from '../../fixtures/datasets/idx-fixtures';
import { openTestCore, tinyHyperparams, workerBuilt, type SpyApi, type TestCore } from './real-core';

// Against the real core (in process, real SQLite and training worker): build it with `npm run build:node`.
const suite = workerBuilt ? describe : describe.skip;

let t: TestCore;
let api: SpyApi;
/** A completed run of three epochs (z 2): the figures' tests read it. */
let three: RunSummary;

/** Lets pending promises, watchers and the stores' yields to a new task settle. */
async function settle(): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 6; i++) {
      await Promise.resolve();
      await nextTick();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Test images of MNIST as the core serves them. */
async function testImages(indices: number[]): Promise<Uint8Array> {
  const result = await t.core.dispatch('datasets:images', { name: 'mnist', split: 'test', indices });
  if (!result.ok) throw new Error(result.error.message);
  return (result.value as { images: Uint8Array }).images;
}

beforeAll(async () => {
  if (!workerBuilt) return;
  t = openTestCore();
  api = t.api;
  three = await t.train({ hyperparams: { epochs: 3 }, name: 'three epochs' });
});

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  if (!workerBuilt) return;
  api.restore();
  api.calls.length = 0;
  setActivePinia(createPinia());
  useAppStore().attach(api);
});

suite('app store', () => {
  it('shows start-up notices from app:info once', async () => {
    const info = await t.core.dispatch('app:info', {});
    if (!info.ok) throw new Error(info.error.message);
    const notice = { level: 'warning' as const, message: 'The database was not valid; it was moved aside.' };
    api.handle('app:info', () => ({
      ok: true,
      value: { ...(info.value as { notices: unknown[] }), notices: [notice] } as never,
    }));
    const app = useAppStore();
    await app.loadInfo();
    await app.loadInfo();
    expect(app.notices).toEqual([notice]);
  });
});

suite('runs store', () => {
  it('loads with the filters and sort as arguments', async () => {
    const beta = await t.train({ name: 'beta' });
    await t.core.dispatch('runs:update', { runId: beta.id, notes: 'latent 20' });
    const runs = useRunsStore();
    runs.query.text = 'latent';
    runs.query.status = 'completed';
    await runs.load();
    expect(api.callsOf('runs:list').at(-1)).toEqual({
      sort: 'createdAt',
      descending: true,
      text: 'latent',
      status: ['completed'],
      limit: firstPageSize,
    });
    expect(runs.runs.map((r) => r.name)).toEqual(['beta']);
  });

  it('reads a long list in pages, in the core’s order, keeping ticks on runs still listed', async () => {
    const runs = useRunsStore();
    await runs.load();
    const kept = runs.runs[0]!.id;
    runs.toggleSelected(kept);
    // More runs than the first page, straight into the store (training each would take minutes).
    const hp = runs.runs[0]!.hyperparams;
    for (let i = 0; i < firstPageSize + 30; i++) {
      const run = t.core.store.createRun({
        hyperparams: hp,
        datasetHash: three.datasetHash,
        name: `paged ${i}`,
      });
      t.core.store.setStatus({ runId: run.id, status: 'stopped' });
    }
    api.calls.length = 0;
    await runs.load();
    const calls = api.callsOf('runs:list');
    expect(calls.map((c) => [c.limit, c.offset])).toEqual([
      [firstPageSize, undefined],
      [pageSize, firstPageSize],
    ]);
    expect(runs.complete).toBe(true);
    const whole = await t.core.dispatch('runs:list', {});
    if (!whole.ok) throw new Error(whole.error.message);
    expect(runs.sorted.map((r) => r.id)).toEqual((whole.value as RunSummary[]).map((r) => r.id));
    expect(runs.selected).toEqual([kept]);
    expect(runs.selectedSet.has(kept)).toBe(true);
    for (const r of runs.runs.filter((r) => r.name.startsWith('paged '))) {
      await t.core.dispatch('runs:delete', { runId: r.id });
    }
  });

  it('sorts by a column, flipping on the second click', async () => {
    await t.train({ name: 'b' });
    await t.train({ name: 'a' });
    const runs = useRunsStore();
    await runs.sortBy('name');
    const names = runs.sorted.map((r) => r.name);
    expect(names.slice(0, 2)).toEqual(['a', 'b']);
    expect(names).toEqual(names.slice().sort((x, y) => x.localeCompare(y)));
    await runs.sortBy('name');
    expect(runs.sorted.map((r) => r.name)).toEqual(names.slice().reverse());
  });

  it('renames, notes and deletes', async () => {
    const run = await t.train({ name: 'old' });
    const runs = useRunsStore();
    await runs.load();
    const shown = () => runs.runs.find((r) => r.id === run.id);
    expect(await runs.rename(run.id, '  new name ')).toBe(true);
    expect(shown()?.name).toBe('new name');
    expect(await runs.rename(run.id, '   ')).toBe(false);
    expect(runs.actionError).toBe('A run needs a name.');
    expect(await runs.setNotes(run.id, 'β too high')).toBe(true);
    expect(shown()?.notes).toBe('β too high');
    runs.toggleSelected(run.id);
    expect(await runs.remove(run.id)).toBe(true);
    expect(shown()).toBeUndefined();
    expect(runs.selected).toEqual([]);
    const stored = await t.core.dispatch('runs:get', { runId: run.id });
    expect(stored.ok).toBe(false);
  });

  it('shows the core’s message, never the code', async () => {
    const runs = useRunsStore();
    await runs.remove('x');
    expect(runs.actionError).toBe('Run "x" does not exist (it may have been deleted).');
    // A failure the core does not make on demand: the sentence for its code stands in for an empty message.
    api.fail('runs:list', 'io_error', '');
    await runs.load();
    expect(runs.error).toBe('Reading or writing the disk failed.');
  });

  it('follows a run as it trains: new, then its epochs and status', async () => {
    const runs = useRunsStore();
    await runs.load();
    const run = await t.train({ name: 'followed', hyperparams: { epochs: 2 } });
    const shown = runs.runs.find((r) => r.id === run.id);
    expect(shown?.name).toBe('followed');
    expect(shown?.status).toBe('completed');
    expect(shown?.epochsDone).toBe(2);
    expect(shown?.lastTest).toEqual(run.lastTest);
  });
});

suite('new-run store', () => {
  it('starts from the Keras blog preset and switches presets', () => {
    const store = useNewRunStore();
    expect(store.presetId).toBe('keras-blog');
    expect(store.form.latentDim).toBe('2');
    expect(store.valid).toBe(true);
    store.applyPreset('pytorch-example');
    expect(store.form.latentDim).toBe('20');
    expect(store.form.hidden).toBe('400');
    expect(store.form.batchSize).toBe('128');
  });

  it('validates inline with the bounds', () => {
    const store = useNewRunStore();
    store.form.learningRate = '2';
    expect(store.errors.learningRate).toBe('Learning rate must be a number greater than 0 and at most 1.');
    expect(store.valid).toBe(false);
    expect(store.modified).toEqual(['learningRate']);
  });

  it('starts a run with the parsed hyperparameters and backend', async () => {
    const store = useNewRunStore();
    store.form.epochs = '1';
    store.form.trainLimit = '256';
    store.form.testLimit = '100';
    store.name = ' mine ';
    store.backend = 'wasm';
    const ended = t.next('run:status', ({ run }) => run.name === 'mine' && run.status === 'completed');
    const run = await store.start();
    expect(run?.status).toBe('queued');
    expect(run?.name).toBe('mine');
    expect(api.callsOf('runs:start')[0]).toEqual({
      hyperparams: { ...presets[0]!.hyperparams, epochs: 1, trainLimit: 256, testLimit: 100 },
      backend: 'wasm',
      name: 'mine',
    });
    expect((await ended).run.backend).toBe('wasm');
  });

  it('refuses an invalid form without calling the core', async () => {
    const store = useNewRunStore();
    store.form.seed = '-1';
    expect(await store.start()).toBeNull();
    expect(store.startError).toMatch(/not valid/);
    expect(api.callsOf('runs:start')).toEqual([]);
  });

  it('names the backend auto will use', async () => {
    const app = useAppStore();
    await app.loadInfo();
    const store = useNewRunStore();
    // The native binding cannot install on these machines: the core falls back to wasm.
    expect(store.effectiveBackend?.name).toBe('wasm');
    store.backend = 'tensorflow';
    expect(store.effectiveBackend?.available).toBe(false);
  });
});

suite('datasets store', () => {
  it('lists and imports', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-idx-'));
    try {
      const tiny = await writeTinyIdxSet(dir);
      const datasets = useDatasetsStore();
      await datasets.load();
      expect(datasets.datasets.map((d) => d.name)).toContain('mnist');
      const info = await datasets.importDataset({ kind: 'idx', name: 'tiny', paths: tiny.files });
      expect(info).toMatchObject({ name: 'tiny', source: 'idx', trainCount: 5, testCount: 2 });
      expect(datasets.byName('tiny')?.source).toBe('idx');
      expect(datasets.importing).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a failed import readably', async () => {
    const datasets = useDatasetsStore();
    expect(
      await datasets.importDataset({
        kind: 'idx',
        name: 'nothing',
        paths: [path.join(t.dataDir, 'none.gz')],
      }),
    ).toBeNull();
    expect(datasets.importError).toContain('none.gz');
    expect(datasets.importError).not.toMatch(/^Error|at .*\(/);
  });
});

suite('open-run store', () => {
  it('loads a finished run: summary, epochs, batches, snapshot epochs, steps per epoch', async () => {
    const openRun = useOpenRunStore();
    expect(await openRun.load(three.id)).toBe(true);
    await settle();
    const stored = await t.core.dispatch('runs:get', { runId: three.id });
    if (!stored.ok) throw new Error(stored.error.message);
    const detail = stored.value as { batches: unknown[] };
    expect(openRun.run?.status).toBe('completed');
    expect(openRun.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(openRun.snapshotEpochs).toEqual([1, 2, 3]);
    expect(openRun.batches).toHaveLength(detail.batches.length);
    expect(openRun.isActive).toBe(false);
    expect(openRun.fraction).toBe(1);
    // 256 images in batches of 64, from the dataset's size before any progress.
    await vi.waitFor(() => expect(openRun.stepsPerEpoch).toBe(4), { timeout: 20_000 });
  });

  it('follows a run it has open while it trains, and nobody else’s', async () => {
    const openRun = useOpenRunStore();
    const started = await t.core.dispatch('runs:start', {
      hyperparams: { ...tinyHyperparams, epochs: 2 },
      backend: 'wasm',
    });
    if (!started.ok) throw new Error(started.error.message);
    const id = (started.value as RunSummary).id;
    const ended = t.next('run:status', ({ run }) => run.id === id && run.status === 'completed');
    await openRun.load(id);
    // Progress of another run is not this one's.
    api.emit('run:progress', {
      runId: three.id,
      epoch: 9,
      step: 1,
      stepsPerEpoch: 4,
      train: { loss: 1, recon: 1, kl: 0 },
      samplesPerSecond: 1,
    });
    await ended;
    await settle();
    expect(openRun.run?.status).toBe('completed');
    expect(openRun.run?.epochsDone).toBe(2);
    expect(openRun.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(openRun.snapshotEpochs).toEqual([1, 2]);
    expect(openRun.progress?.runId).toBe(id);
    expect(openRun.progress?.stepsPerEpoch).toBe(4);
    expect(openRun.batches.length).toBeGreaterThan(0);
    expect(openRun.batches.every((b) => b.step <= 8)).toBe(true);
  });

  it('estimates the time left from progress while training', async () => {
    const openRun = useOpenRunStore();
    await openRun.load(three.id);
    const base = openRun.run as RunSummary;
    // A run of ten epochs in its fourth, as its events would say (the arithmetic, exactly).
    api.emit('run:status', {
      run: { ...base, status: 'running', hyperparams: { ...base.hyperparams, epochs: 10 } },
    });
    const seconds = openRun.epochs.map((e) => e.seconds);
    api.emit('run:progress', {
      runId: three.id,
      epoch: 4,
      step: 20,
      stepsPerEpoch: 100,
      train: { loss: 150, recon: 144, kl: 6 },
      samplesPerSecond: 6400,
    });
    expect(openRun.stepsPerEpoch).toBe(100);
    expect(openRun.fraction).toBeCloseTo(3.2 / 10);
    // The store hands the estimate what the run has said so far (the estimate itself: util tests).
    expect(openRun.eta).toBe(
      estimateEta({
        epoch: 4,
        step: 20,
        stepsPerEpoch: 100,
        totalEpochs: 10,
        batchSize: 64,
        samplesPerSecond: 6400,
        epochSeconds: seconds,
      }),
    );
    expect(openRun.eta).toBeGreaterThan(0);
    expect(openRun.batches.at(-1)).toMatchObject({ loss: 150 });
  });

  it('stops and resumes a training run', async () => {
    const openRun = useOpenRunStore();
    const started = await t.core.dispatch('runs:start', {
      hyperparams: { ...tinyHyperparams, epochs: 3, trainLimit: 6400 },
      backend: 'wasm',
    });
    if (!started.ok) throw new Error(started.error.message);
    const id = (started.value as RunSummary).id;
    await openRun.load(id);
    await t.next('run:progress', (p) => p.runId === id);
    expect(openRun.isActive).toBe(true);
    const stopped = t.next('run:status', ({ run }) => run.id === id && run.status === 'stopped');
    expect(await openRun.stop()).toBe(true);
    await stopped;
    await settle();
    expect(openRun.status).toBe('stopped');
    expect(openRun.canResume).toBe(true);
    const completed = t.next('run:status', ({ run }) => run.id === id && run.status === 'completed');
    expect(await openRun.resume()).toBe(true);
    expect(['queued', 'running']).toContain(openRun.status);
    await completed;
    await settle();
    expect(openRun.status).toBe('completed');
    expect(openRun.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // Stopping a finished run is refused, and the store says why.
    expect(await openRun.stop()).toBe(false);
    expect(openRun.actionError).toBe(
      `Run "${openRun.run?.name}" is completed, not training; there is nothing to stop.`,
    );
  });

  it('says when a run does not exist', async () => {
    const openRun = useOpenRunStore();
    expect(await openRun.load('nope')).toBe(false);
    expect(openRun.error).toBe('Run "nope" does not exist (it may have been deleted).');
  });

  it('fetches each snapshot once while the run stays open', async () => {
    const openRun = useOpenRunStore();
    await openRun.load(three.id);
    const a = await openRun.snapshot(2);
    const b = await openRun.snapshot(2);
    expect(a.ok && b.ok && a.value === b.value).toBe(true);
    expect(api.callsOf('runs:snapshot')).toEqual([{ runId: three.id, epoch: 2 }]);
    expect(openRun.peekSnapshot(2)).toBe(a.ok ? a.value : null);
  });
});

suite('explore store', () => {
  async function openRun(run: RunSummary = three) {
    const store = useOpenRunStore();
    await store.load(run.id);
    const explore = useExploreStore();
    await vi.waitFor(() => expect(explore.shownEpoch).toBe(run.epochsDone), { timeout: 20_000 });
    await settle();
    return explore;
  }

  it('opens on the newest snapshot and uses its own manifold and gallery', async () => {
    const explore = await openRun();
    expect(explore.shownEpoch).toBe(3);
    expect(explore.manifold?.n).toBe(20);
    expect(explore.gallery?.fromSnapshot).toBe(true);
    expect(api.callsOf('runs:snapshot')).toEqual([{ runId: three.id, epoch: 3 }]);
    expect(api.callsOf('runs:decode')).toEqual([]);
    // The page after the fixed gallery is asked for once, which also warms the dataset in the core.
    expect(api.callsOf('datasets:images')).toEqual([
      { name: 'mnist', split: 'test', indices: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19] },
    ]);
    // Two dimensions are shown as they are: no PCA.
    expect(explore.pca).toBeNull();
    expect(explore.plane.labels).toEqual(['z [0]', 'z [1]']);
  });

  it('re-decodes the manifold when n, r or the dimensions change', async () => {
    const explore = await openRun();
    explore.manifoldN = 10;
    explore.manifoldRange = 4;
    await vi.waitFor(() => expect(explore.manifold?.n).toBe(10), { timeout: 20_000 });
    const call = api.callsOf('runs:decode').at(-1);
    expect(call?.points).toHaveLength(100);
    expect(call?.points[0]).toEqual([-4, 4]);
    expect(call?.epoch).toBe(3);
    expect(explore.manifold?.images.length).toBe(100 * 784);
    expect(explore.manifoldError).toBeNull();
  });

  it('pages the gallery: codes decoded, originals fetched in one call per page and kept', async () => {
    const explore = await openRun();
    explore.galleryOffset = 20;
    await vi.waitFor(() => expect(explore.gallery?.indices[0]).toBe(20), { timeout: 20_000 });
    const call = api.callsOf('runs:decode').at(-1);
    // Ten z_mu and ten sampled z.
    expect(call?.points).toHaveLength(20);
    expect(api.callsOf('datasets:images').map((c) => c.indices)).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
    ]);
    const g = explore.gallery;
    expect(g?.indices).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(g?.fromSnapshot).toBe(false);
    expect(g?.missingOriginal.every((m) => !m)).toBe(true);
    expect(g?.originalsError).toBeNull();
    // The originals are the dataset's test images 20…29, in order.
    expect(Array.from(g?.original ?? [])).toEqual(Array.from(await testImages(g?.indices ?? [])));
    // Images 5–9 are the snapshot's fixed gallery and 10–14 came with the first page: nothing new is asked.
    explore.galleryOffset = 5;
    await vi.waitFor(() => expect(explore.gallery?.indices[0]).toBe(5), { timeout: 20_000 });
    expect(explore.gallery?.missingOriginal.every((m) => !m)).toBe(true);
    explore.galleryOffset = 20;
    await vi.waitFor(() => expect(explore.gallery?.indices[0]).toBe(20), { timeout: 20_000 });
    expect(api.callsOf('datasets:images')).toHaveLength(2);
  });

  it('shows a page hatched, and says why, when the originals cannot be loaded', async () => {
    const explore = await openRun();
    api.fail('datasets:images', 'not_found', 'No dataset "mnist".');
    explore.galleryOffset = 30;
    await vi.waitFor(() => expect(explore.gallery?.indices[0]).toBe(30), { timeout: 20_000 });
    expect(explore.gallery?.missingOriginal.every(Boolean)).toBe(true);
    expect(explore.gallery?.originalsError).toBe('No dataset "mnist".');
    expect(explore.galleryError).toBeNull();
  });

  it('loads hovered originals once and peeks at what it has', async () => {
    const explore = await openRun();
    expect(explore.peekOriginal(3)).not.toBeNull();
    expect(explore.peekOriginal(500)).toBeNull();
    const first = await explore.loadOriginals([500]);
    expect(typeof first).not.toBe('string');
    const expected = Array.from(await testImages([500]));
    expect(Array.from((first as Uint8Array[])[0] ?? [])).toEqual(expected);
    expect(Array.from(explore.peekOriginal(500) ?? [])).toEqual(expected);
    await explore.loadOriginals([500, 2, 12]);
    expect(api.callsOf('datasets:images').map((c) => c.indices)).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [500],
    ]);
  });

  it('shows other epochs from the open run’s snapshots, each fetched once', async () => {
    const explore = await openRun();
    await explore.showEpoch(1);
    expect(explore.shownEpoch).toBe(1);
    expect(explore.follow).toBe(false);
    await explore.followLatest();
    expect(explore.follow).toBe(true);
    expect(explore.shownEpoch).toBe(3);
    await explore.showEpoch(1);
    expect(explore.shownEpoch).toBe(1);
    expect(api.callsOf('runs:snapshot').map((c) => c.epoch)).toEqual([3, 1]);
  });

  it('follows new epochs while the run trains only when on the latest', async () => {
    const store = useOpenRunStore();
    const explore = useExploreStore();
    const started = await t.core.dispatch('runs:start', {
      hyperparams: { ...tinyHyperparams, epochs: 4, trainLimit: 1280 },
      backend: 'wasm',
    });
    if (!started.ok) throw new Error(started.error.message);
    const id = (started.value as RunSummary).id;
    await store.load(id);
    // Stopped after its second epoch, so the test, not the worker's speed, says when the next ones come.
    await t.next('run:epoch', (e) => e.runId === id && e.metrics.epoch === 2);
    await store.stop();
    await t.next('run:status', ({ run }) => run.id === id && run.status === 'stopped');
    await vi.waitFor(() => expect(explore.shownEpoch).toBe(store.snapshotEpochs.at(-1)), { timeout: 20_000 });
    await explore.showEpoch(1);
    expect(explore.follow).toBe(false);
    const completed = t.next('run:status', ({ run }) => run.id === id && run.status === 'completed');
    await store.resume();
    await completed;
    await settle();
    expect(store.snapshotEpochs).toEqual([1, 2, 3, 4]);
    expect(explore.latestEpoch).toBe(4);
    expect(explore.shownEpoch).toBe(1);
    await explore.followLatest();
    expect(explore.shownEpoch).toBe(4);
  });

  it('forgets the previous run’s figures as soon as another opens', async () => {
    const explore = await openRun();
    explore.galleryOffset = 40;
    const other = await t.train({ name: 'other', hyperparams: { epochs: 1 } });
    const store = useOpenRunStore();
    const loading = store.load(other.id);
    expect(explore.snapshot).toBeNull();
    expect(explore.galleryOffset).toBeNull();
    await loading;
    await vi.waitFor(() => expect(explore.shownEpoch).toBe(1), { timeout: 20_000 });
    expect(explore.snapshot?.epoch).toBe(1);
    expect(api.callsOf('runs:snapshot').at(-1)).toEqual({ runId: other.id, epoch: 1 });
  });

  it('uses PCA above two dimensions, and decodes its manifold', async () => {
    const run = await t.train({ hyperparams: { latentDim: 5 } });
    const explore = await openRun(run);
    await vi.waitFor(() => expect(explore.manifold).not.toBeNull(), { timeout: 20_000 });
    expect(explore.view).toEqual({ kind: 'pca' });
    expect(explore.plane.labels).toEqual(['PC 1', 'PC 2']);
    expect(explore.pca?.components).toHaveLength(2);
    const call = api.callsOf('runs:decode').at(-1);
    expect(call?.points).toHaveLength(400);
    expect(call?.points[0]).toHaveLength(5);
    explore.view = { kind: 'dims', dims: [0, 1] };
    await settle();
    // Same settings as the snapshot's own manifold: no new decoding.
    expect(api.callsOf('runs:decode')).toHaveLength(1);
  });

  it('splits decoding into calls the contract accepts', async () => {
    const explore = await openRun();
    const images = await explore.decode(Array.from({ length: decodeBatchLimit + 5 }, () => [0, 0]));
    expect(typeof images).not.toBe('string');
    expect((images as Uint8Array).length).toBe((decodeBatchLimit + 5) * 784);
    expect(api.callsOf('runs:decode').map((c) => c.points.length)).toEqual([decodeBatchLimit, 5]);
  });

  it('explains a missing snapshot', async () => {
    const explore = await openRun();
    await explore.showEpoch(9);
    expect(explore.error).toMatch(/epoch 9/);
  });

  it('sets the interpolation ends in turn', async () => {
    const explore = await openRun();
    expect(explore.interpolationEnds).toEqual([0, 1]);
    explore.pickForInterpolation(7);
    explore.pickForInterpolation(8);
    explore.pickForInterpolation(9);
    expect(explore.interpolationEnds).toEqual([9, 8]);
  });
});

suite('compare store', () => {
  it('compares runs, filters the table and loads figures at one epoch', async () => {
    const b = await t.train({ hyperparams: { epochs: 2, latentDim: 3, hidden: [12] } });
    const compare = useCompareStore();
    await compare.load([three.id, b.id]);
    expect(compare.comparison?.runs).toHaveLength(2);
    expect(compare.epoch).toBe(2);
    expect(compare.figures.every((f) => 'snapshot' in f)).toBe(true);
    const all = compare.rows.length;
    compare.onlyDiffering = true;
    expect(compare.rows.map((r) => r.key)).toEqual(expect.arrayContaining(['latentDim', 'hidden', 'epochs']));
    expect(compare.rows.length).toBeLessThan(all);
    await compare.setEpoch(3);
    expect(compare.figures.map((f) => 'error' in f)).toEqual([false, true]);
  });
});
