import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { presets } from '../../../shared/hyperparams';
import type { BatchProgress } from '../../../shared/run';
import { useAppStore } from '../../../src-renderer/stores/app';
import { useCompareStore } from '../../../src-renderer/stores/compare';
import { useDatasetsStore } from '../../../src-renderer/stores/datasets';
import { decodeBatchLimit, useExploreStore } from '../../../src-renderer/stores/explore';
import { useLiveStore } from '../../../src-renderer/stores/live';
import { useNewRunStore } from '../../../src-renderer/stores/new-run';
import { useRunsStore } from '../../../src-renderer/stores/runs';
import { createFakeApi, fakeEpoch, fakeOriginal, type AddRunOptions, type FakeApi } from './fake-api';

let api: FakeApi;

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

beforeEach(() => {
  setActivePinia(createPinia());
  api = createFakeApi();
  useAppStore().attach(api);
});

describe('app store', () => {
  it('shows start-up notices from app:info once', async () => {
    api.info.notices.push({ level: 'warning', message: 'The database was not valid; it was moved aside.' });
    const app = useAppStore();
    await app.loadInfo();
    await app.loadInfo();
    expect(app.notices).toEqual([
      { level: 'warning', message: 'The database was not valid; it was moved aside.' },
    ]);
  });
});

describe('runs store', () => {
  it('loads with the filters and sort as arguments', async () => {
    api.addRun({ name: 'alpha' });
    api.addRun({ name: 'beta', notes: 'latent 20' });
    const runs = useRunsStore();
    runs.query.text = 'latent';
    runs.query.status = 'completed';
    await runs.load();
    expect(api.callsOf('runs:list').at(-1)).toEqual({
      sort: 'createdAt',
      descending: true,
      text: 'latent',
      status: ['completed'],
    });
    expect(runs.runs.map((r) => r.name)).toEqual(['beta']);
  });

  it('sorts by a column, flipping on the second click', async () => {
    api.addRun({ name: 'b' });
    api.addRun({ name: 'a' });
    const runs = useRunsStore();
    await runs.sortBy('name');
    expect(runs.sorted.map((r) => r.name)).toEqual(['a', 'b']);
    await runs.sortBy('name');
    expect(runs.sorted.map((r) => r.name)).toEqual(['b', 'a']);
  });

  it('renames, notes and deletes', async () => {
    const run = api.addRun({ name: 'old' });
    const runs = useRunsStore();
    await runs.load();
    expect(await runs.rename(run.summary.id, '  new name ')).toBe(true);
    expect(runs.runs[0]?.name).toBe('new name');
    expect(await runs.rename(run.summary.id, '   ')).toBe(false);
    expect(runs.actionError).toBe('A run needs a name.');
    expect(await runs.setNotes(run.summary.id, 'β too high')).toBe(true);
    expect(runs.runs[0]?.notes).toBe('β too high');
    runs.toggleSelected(run.summary.id);
    expect(await runs.remove(run.summary.id)).toBe(true);
    expect(runs.runs).toEqual([]);
    expect(runs.selected).toEqual([]);
  });

  it('shows the core’s message, never the code', async () => {
    api.fail('runs:list', 'io_error', '');
    const runs = useRunsStore();
    await runs.load();
    expect(runs.error).toBe('Reading or writing the disk failed.');
    api.fail('runs:delete', 'not_found', 'No run "x".');
    await runs.remove('x');
    expect(runs.actionError).toBe('No run "x".');
  });

  it('follows status events', async () => {
    const run = api.addRun();
    const runs = useRunsStore();
    await runs.load();
    api.emit('run:status', { run: { ...run.summary, status: 'running' } });
    expect(runs.runs[0]?.status).toBe('running');
    api.emit('run:epoch', { runId: run.summary.id, metrics: fakeEpoch(7) });
    expect(runs.runs[0]?.epochsDone).toBe(7);
    expect(runs.runs[0]?.lastTest).toEqual(fakeEpoch(7).test);
    const other = api.addRun({ name: 'new one' });
    api.emit('run:status', { run: other.summary });
    expect(runs.runs.map((r) => r.name)).toContain('new one');
  });
});

describe('new-run store', () => {
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
    store.form.epochs = '30';
    store.name = ' mine ';
    store.backend = 'wasm';
    const run = await store.start();
    expect(run?.status).toBe('queued');
    expect(api.callsOf('runs:start')[0]).toEqual({
      hyperparams: { ...presets[0]!.hyperparams, epochs: 30 },
      backend: 'wasm',
      name: 'mine',
    });
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
    expect(store.effectiveBackend?.name).toBe('wasm');
    store.backend = 'tensorflow';
    expect(store.effectiveBackend?.available).toBe(false);
  });
});

describe('datasets store', () => {
  it('lists and imports', async () => {
    const datasets = useDatasetsStore();
    await datasets.load();
    expect(datasets.datasets.map((d) => d.name)).toEqual(['mnist']);
    const info = await datasets.importDataset({
      kind: 'idx',
      name: 'fashion',
      paths: ['/a', '/b', '/c', '/d'],
    });
    expect(info?.name).toBe('fashion');
    expect(datasets.byName('fashion')?.source).toBe('idx');
    expect(datasets.importing).toBeNull();
  });

  it('reports a failed import readably', async () => {
    api.fail('datasets:import', 'invalid_input', 'train-images.idx: not an IDX file.');
    const datasets = useDatasetsStore();
    expect(
      await datasets.importDataset({ kind: 'folder', name: 'x', path: '/x', size: 28, channels: 1 }),
    ).toBeNull();
    expect(datasets.importError).toBe('train-images.idx: not an IDX file.');
  });
});

describe('live store', () => {
  const progress = (over: Partial<BatchProgress>): BatchProgress => ({
    runId: 'run-1',
    epoch: 4,
    step: 10,
    stepsPerEpoch: 100,
    train: { loss: 160, recon: 154, kl: 6 },
    samplesPerSecond: 6400,
    ...over,
  });

  it('loads a run and follows its events', async () => {
    const run = api.addRun({ epochsDone: 3, status: 'running', hyperparams: { epochs: 10 } });
    const live = useLiveStore();
    expect(await live.load(run.summary.id)).toBe(true);
    expect(live.epochs).toHaveLength(3);
    expect(live.batches).toHaveLength(30);
    expect(live.isActive).toBe(true);

    api.emit('run:progress', progress({ step: 10 }));
    api.emit('run:progress', progress({ step: 20, train: { loss: 150, recon: 144, kl: 6 } }));
    expect(live.batches).toHaveLength(32);
    expect(live.batches.at(-1)).toMatchObject({ step: 320, loss: 140 });
    expect(live.stepsPerEpoch).toBe(100);
    // 3 full epochs of 16 s each: 6.8 epochs left.
    expect(live.eta).toBeCloseTo((((10 - 4) * 100 + 80) / 100) * 16);
    expect(live.fraction).toBeCloseTo(3.2 / 10);

    api.emit('run:epoch', { runId: run.summary.id, metrics: fakeEpoch(4) });
    expect(live.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(live.snapshotEpochs).toContain(4);
    expect(live.run?.epochsDone).toBe(4);

    api.emit('run:progress', progress({ runId: 'someone-else' }));
    expect(live.batches).toHaveLength(32);
  });

  it('stops and resumes', async () => {
    const run = api.addRun({ epochsDone: 1, status: 'running' });
    const live = useLiveStore();
    await live.load(run.summary.id);
    expect(await live.stop()).toBe(true);
    expect(live.status).toBe('stopped');
    expect(live.canResume).toBe(true);
    expect(await live.resume()).toBe(true);
    expect(live.status).toBe('queued');
    api.fail('runs:stop', 'conflict', 'This run is not running.');
    expect(await live.stop()).toBe(false);
    expect(live.actionError).toBe('This run is not running.');
  });

  it('says when a run does not exist', async () => {
    const live = useLiveStore();
    expect(await live.load('nope')).toBe(false);
    expect(live.error).toBe('No run "nope".');
  });

  it('derives steps per epoch from the dataset before any progress', async () => {
    const run = api.addRun({ epochsDone: 1, hyperparams: { batchSize: 64 } });
    const live = useLiveStore();
    await live.load(run.summary.id);
    await settle();
    expect(live.stepsPerEpoch).toBe(Math.ceil(60000 / 64));
  });
});

describe('explore store', () => {
  async function openRun(options: AddRunOptions = {}) {
    const run = api.addRun({ epochsDone: 3, ...options });
    const explore = useExploreStore();
    await explore.open(run.summary.id, { snapshotEpochs: [1, 2, 3], dataset: 'mnist' });
    await settle();
    return { run, explore };
  }

  it('opens on the newest snapshot and uses its own manifold and gallery', async () => {
    const { explore } = await openRun();
    expect(explore.shownEpoch).toBe(3);
    expect(explore.manifold?.n).toBe(20);
    expect(explore.gallery?.fromSnapshot).toBe(true);
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
    const { explore } = await openRun();
    explore.manifoldN = 10;
    explore.manifoldRange = 4;
    await settle();
    const call = api.callsOf('runs:decode').at(-1);
    expect(call?.points).toHaveLength(100);
    expect(call?.points[0]).toEqual([-4, 4]);
    expect(call?.epoch).toBe(3);
    expect(explore.manifold?.n).toBe(10);
    expect(explore.manifold?.images.length).toBe(100 * 784);
  });

  it('pages the gallery: codes decoded, originals fetched in one call per page and kept', async () => {
    const { explore } = await openRun();
    explore.galleryOffset = 20;
    await settle();
    const call = api.callsOf('runs:decode').at(-1);
    // Ten z_mu and ten sampled z.
    expect(call?.points).toHaveLength(20);
    expect(api.callsOf('datasets:images').map((c) => c.indices)).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
    ]);
    expect(api.callsOf('datasets:images').at(-1)).toMatchObject({ name: 'mnist', split: 'test' });
    const g = explore.gallery;
    expect(g?.indices).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(g?.fromSnapshot).toBe(false);
    expect(g?.missingOriginal.every((m) => !m)).toBe(true);
    expect(g?.originalsError).toBeNull();
    // The originals are the dataset's test images 20…29, in order.
    const expected = new Uint8Array(784);
    fakeOriginal(23, 23, expected, 0);
    expect(Array.from(g?.original.subarray(3 * 784, 4 * 784) ?? [])).toEqual(Array.from(expected));
    // Images 5–9 are the snapshot's fixed gallery and 10–14 came with the first page: nothing new is asked.
    explore.galleryOffset = 5;
    await settle();
    expect(explore.gallery?.missingOriginal.every((m) => !m)).toBe(true);
    explore.galleryOffset = 20;
    await settle();
    expect(api.callsOf('datasets:images')).toHaveLength(2);
    expect(explore.gallery?.indices[0]).toBe(20);
  });

  it('shows a page hatched, and says why, when the originals cannot be loaded', async () => {
    const { explore } = await openRun();
    api.fail('datasets:images', 'not_found', 'No dataset "mnist".');
    explore.galleryOffset = 30;
    await settle();
    expect(explore.gallery?.indices[0]).toBe(30);
    expect(explore.gallery?.missingOriginal.every(Boolean)).toBe(true);
    expect(explore.gallery?.originalsError).toBe('No dataset "mnist".');
    expect(explore.galleryError).toBeNull();
  });

  it('loads hovered originals once and peeks at what it has', async () => {
    const { explore } = await openRun();
    expect(explore.peekOriginal(3)).not.toBeNull();
    expect(explore.peekOriginal(500)).toBeNull();
    const first = await explore.loadOriginals([500]);
    expect(typeof first).not.toBe('string');
    const expected = new Uint8Array(784);
    fakeOriginal(0, 500, expected, 0);
    expect(Array.from((first as Uint8Array[])[0] ?? [])).toEqual(Array.from(expected));
    expect(Array.from(explore.peekOriginal(500) ?? [])).toEqual(Array.from(expected));
    await explore.loadOriginals([500, 2, 12]);
    expect(api.callsOf('datasets:images').map((c) => c.indices)).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [500],
    ]);
  });

  it('does without originals when the dataset is not known', async () => {
    const run = api.addRun({ epochsDone: 1 });
    const explore = useExploreStore();
    await explore.open(run.summary.id, { snapshotEpochs: [1] });
    await settle();
    expect(await explore.loadOriginals([42])).toMatch(/dataset is not known/);
    explore.galleryOffset = 40;
    await settle();
    expect(explore.gallery?.missingOriginal.every(Boolean)).toBe(true);
    expect(api.callsOf('datasets:images')).toEqual([]);
  });

  it('shows other epochs, and follows new ones only when on the latest', async () => {
    const { run, explore } = await openRun();
    await explore.showEpoch(1);
    expect(explore.shownEpoch).toBe(1);
    expect(explore.follow).toBe(false);
    run.epochs.push(fakeEpoch(4));
    api.emit('run:epoch', { runId: run.summary.id, metrics: fakeEpoch(4) });
    await settle();
    expect(explore.epochs).toEqual([1, 2, 3, 4]);
    expect(explore.shownEpoch).toBe(1);
    await explore.followLatest();
    expect(explore.shownEpoch).toBe(4);
    run.epochs.push(fakeEpoch(5));
    api.emit('run:epoch', { runId: run.summary.id, metrics: fakeEpoch(5) });
    await settle();
    expect(explore.shownEpoch).toBe(5);
  });

  it('uses PCA above two dimensions, and decodes its manifold', async () => {
    const { explore } = await openRun({ hyperparams: { latentDim: 20 } });
    expect(explore.view).toEqual({ kind: 'pca' });
    expect(explore.plane.labels).toEqual(['PC 1', 'PC 2']);
    expect(explore.pca?.components).toHaveLength(2);
    const call = api.callsOf('runs:decode').at(-1);
    expect(call?.points).toHaveLength(400);
    expect(call?.points[0]).toHaveLength(20);
    explore.view = { kind: 'dims', dims: [0, 1] };
    await settle();
    // Same settings as the snapshot's own manifold: no new decoding.
    expect(api.callsOf('runs:decode')).toHaveLength(1);
  });

  it('splits decoding into calls the contract accepts', async () => {
    const { explore } = await openRun();
    const images = await explore.decode(Array.from({ length: decodeBatchLimit + 5 }, () => [0, 0]));
    expect(typeof images).not.toBe('string');
    expect((images as Uint8Array).length).toBe((decodeBatchLimit + 5) * 784);
    expect(api.callsOf('runs:decode').map((c) => c.points.length)).toEqual([decodeBatchLimit, 5]);
  });

  it('explains a missing snapshot', async () => {
    const { explore } = await openRun();
    await explore.showEpoch(9);
    expect(explore.error).toMatch(/no snapshot at epoch 9/);
  });

  it('sets the interpolation ends in turn', async () => {
    const { explore } = await openRun();
    expect(explore.interpolationEnds).toEqual([0, 1]);
    explore.pickForInterpolation(7);
    explore.pickForInterpolation(8);
    explore.pickForInterpolation(9);
    expect(explore.interpolationEnds).toEqual([9, 8]);
  });
});

describe('compare store', () => {
  it('compares runs, filters the table and loads figures at one epoch', async () => {
    const a = api.addRun({ epochsDone: 3 });
    const b = api.addRun({ epochsDone: 2, hyperparams: { latentDim: 20, hidden: [400] } });
    const compare = useCompareStore();
    await compare.load([a.summary.id, b.summary.id]);
    expect(compare.comparison?.runs).toHaveLength(2);
    expect(compare.epoch).toBe(2);
    expect(compare.figures.every((f) => 'snapshot' in f)).toBe(true);
    const all = compare.rows.length;
    compare.onlyDiffering = true;
    expect(compare.rows.map((r) => r.key)).toEqual(['latentDim', 'hidden']);
    expect(all).toBeGreaterThan(2);
    await compare.setEpoch(3);
    expect(compare.figures.map((f) => 'error' in f)).toEqual([false, true]);
  });
});
