import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maxBatchPoints, openStore, StoreError, type RunStore } from '../../../src-main/store';
import type { Checkpoint as TrainingCheckpoint } from '../../../src-main/training/checkpoint';
import { modelSpecFor, planModel, weightSpecs } from '../../../src-main/training/model-spec';
import { checkpoint, decoderWeights, hyperparams, metrics, snapshot, tempDir } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: RunStore;
let clock: number;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'data', 'runs.db');
  clock = Date.parse('2025-03-01T10:00:00Z');
  // Each call advances a second, so creation order is unambiguous.
  store = openStore({ path: file, appVersion: '0.1.0', now: () => new Date((clock += 1000)) });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
  return undefined;
}

function newRun(overrides: Parameters<RunStore['createRun']>[0] extends infer T ? Partial<T> : never = {}) {
  return store.createRun({ hyperparams: hyperparams(), datasetHash: 'sha256:mnist', ...overrides });
}

describe('RunStore: runs', () => {
  it('opens with WAL, foreign keys and a busy timeout, creating the folder', () => {
    store.close();
    let seen: Record<string, unknown> = {};
    store = openStore({
      path: file,
      appVersion: '0.1.0',
      // Runs after the store's own pragmas: what it sees is what every connection gets.
      configure: (db) => {
        seen = Object.fromEntries(
          ['journal_mode', 'foreign_keys', 'busy_timeout', 'synchronous'].map((p) => [
            p,
            db.pragma(p, { simple: true }),
          ]),
        );
      },
    });
    expect(seen).toEqual({ journal_mode: 'wal', foreign_keys: 1, busy_timeout: 5000, synchronous: 1 });
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal'); // stored in the file
    raw.close();
    expect(store.notices).toEqual([]);
  });

  it('creates a run with all its hyperparameters and metadata', () => {
    const run = newRun({ name: 'first', tags: ['a', 'a', 'b'], notes: 'n' });
    expect(run).toMatchObject({
      name: 'first',
      status: 'queued',
      createdAt: '2025-03-01T10:00:01.000Z',
      finishedAt: null,
      hyperparams: hyperparams(),
      datasetHash: 'sha256:mnist',
      appVersion: '0.1.0',
      notes: 'n',
      tags: ['a', 'b'],
      epochsDone: 0,
      lastTest: null,
      statusMessage: null,
    });
    expect(run.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(newRun().name).toBe('mnist mlp z2 #2');
    expect(store.getRunSummary(run.id)).toEqual(run);
  });

  it('follows the lifecycle and refuses impossible transitions', () => {
    const run = newRun();
    const running = store.setStatus({
      runId: run.id,
      status: 'running',
      backend: 'wasm',
      device: 'WebAssembly',
    });
    expect(running).toMatchObject({
      status: 'running',
      backend: 'wasm',
      device: 'WebAssembly',
      finishedAt: null,
    });
    const done = store.setStatus({ runId: run.id, status: 'diverged', message: 'NaN loss at epoch 3' });
    expect(done.status).toBe('diverged');
    expect(done.statusMessage).toBe('NaN loss at epoch 3');
    expect(done.finishedAt).not.toBeNull();
    expect(done.backend).toBe('wasm');
    expect(codeOf(() => store.setStatus({ runId: run.id, status: 'completed' }))).toBe('conflict');
    // Resume clears the finish time and the message.
    const resumed = store.setStatus({ runId: run.id, status: 'running' });
    expect(resumed).toMatchObject({ status: 'running', finishedAt: null, statusMessage: null });
    expect(codeOf(() => store.setStatus({ runId: 'nope', status: 'running' }))).toBe('not_found');
  });

  it('lists with status, dataset and text filters, sorts and a limit', () => {
    const a = newRun({ name: 'Alpha', tags: ['baseline'] });
    newRun({ name: 'beta 50%', hyperparams: hyperparams({ dataset: 'fashion' }) });
    const c = newRun({ name: 'Gamma', notes: 'try β=4' });
    store.setStatus({ runId: a.id, status: 'running' });
    store.recordEpoch({ runId: a.id, metrics: metrics(1, 150) });
    store.setStatus({ runId: a.id, status: 'completed' });
    store.setStatus({ runId: c.id, status: 'running' });
    store.recordEpoch({ runId: c.id, metrics: metrics(1, 140) });

    const ids = (q: Parameters<RunStore['listRuns']>[0]) => store.listRuns(q).map((r) => r.name);
    expect(ids({})).toEqual(['Gamma', 'beta 50%', 'Alpha']); // newest first by default
    expect(ids({ sort: 'createdAt', descending: false })).toEqual(['Alpha', 'beta 50%', 'Gamma']);
    expect(ids({ sort: 'name' })).toEqual(['Alpha', 'beta 50%', 'Gamma']); // case-insensitive
    expect(ids({ sort: 'testLoss' })).toEqual(['Gamma', 'Alpha', 'beta 50%']); // no loss last
    expect(ids({ sort: 'testLoss', descending: true })).toEqual(['Alpha', 'Gamma', 'beta 50%']);
    expect(ids({ sort: 'status' })).toEqual(['beta 50%', 'Gamma', 'Alpha']); // queued, running, completed
    expect(ids({ status: ['running', 'completed'] })).toEqual(['Gamma', 'Alpha']);
    expect(ids({ status: [] })).toHaveLength(3);
    expect(ids({ dataset: 'fashion' })).toEqual(['beta 50%']);
    expect(ids({ text: 'BASELINE' })).toEqual(['Alpha']); // tags, case-insensitive
    expect(ids({ text: 'β=4' })).toEqual(['Gamma']); // notes
    expect(ids({ text: '50%' })).toEqual(['beta 50%']);
    expect(ids({ text: '%' })).toEqual(['beta 50%']); // % is literal, not a wildcard
    expect(ids({ text: 'a_p' })).toEqual([]); // _ is literal too
    expect(ids({ limit: 2 })).toEqual(['Gamma', 'beta 50%']);
    // Pages: the renderer reads a long list this way, in the same order as a whole read.
    expect(ids({ limit: 2, offset: 2 })).toEqual(['Alpha']);
    expect(ids({ sort: 'name', limit: 1, offset: 1 })).toEqual(['beta 50%']);
    expect(ids({ offset: 3 })).toEqual([]);
    expect(store.listRuns({ sort: 'testLoss' })[0]!.lastTest).toEqual(metrics(1, 140).test);
  });

  it('updates name, notes and tags, leaving omitted fields', () => {
    const run = newRun({ name: 'x', notes: 'keep', tags: ['t'] });
    expect(store.updateRun({ runId: run.id, name: 'renamed' })).toMatchObject({
      name: 'renamed',
      notes: 'keep',
      tags: ['t'],
    });
    expect(store.updateRun({ runId: run.id, tags: [] })).toMatchObject({
      name: 'renamed',
      notes: 'keep',
      tags: [],
    });
    expect(store.updateRun({ runId: run.id, notes: '' }).notes).toBe('');
    expect(store.updateRun({ runId: run.id, tags: ['b', 'a', 'b'] }).tags).toEqual(['b', 'a']);
    expect(codeOf(() => store.updateRun({ runId: 'missing', name: 'y' }))).toBe('not_found');
  });
});

describe('RunStore: epochs, snapshots, checkpoints', () => {
  it('records an epoch and reads every part back exactly', () => {
    const run = newRun({ status: 'running' });
    const snap = snapshot(1);
    store.recordEpoch({
      runId: run.id,
      metrics: metrics(1),
      snapshot: snap,
      checkpoint: checkpoint(1),
      decoderWeights: decoderWeights(1),
    });
    const detail = store.getRun(run.id);
    expect(detail.epochs).toEqual([metrics(1)]);
    expect(detail.snapshotEpochs).toEqual([1]);
    expect(detail.checkpointEpoch).toBe(1);
    expect(detail.epochsDone).toBe(1);
    expect(detail.lastTest).toEqual(metrics(1).test);

    const back = store.getSnapshot(run.id, 1);
    expect(back).toEqual(snap);
    expect(back.latent.zMu).toBeInstanceOf(Float32Array);
    expect(back.gallery.original.constructor).toBe(Uint8Array); // not a Buffer
    expect(store.getSnapshot(run.id)).toEqual(snap);

    const cp = store.getCheckpoint(run.id)!;
    expect(cp.epoch).toBe(1);
    expect(cp.weights).toEqual(checkpoint(1).weights);
    expect(cp.optimizer).toEqual(checkpoint(1).optimizer);
    expect(store.getDecoderWeights(run.id, 1)).toEqual({ epoch: 1, weights: decoderWeights(1) });
  });

  it("stores the engine's checkpoint as given, its format and model spec included", () => {
    const run = newRun({ status: 'running' });
    const plan = planModel(
      modelSpecFor(hyperparams({ hidden: [8] }), { height: 28, width: 28, channels: 1 }),
    );
    const weights = weightSpecs(plan).map((w, i) => ({
      name: w.name,
      shape: w.shape,
      data: Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, (_, k) => i + k / 1000),
    }));
    const given: TrainingCheckpoint = {
      format: 1,
      epoch: 1,
      spec: plan.spec,
      weights,
      optimizer: [{ name: 'iterations', shape: [], data: Float32Array.of(938) }],
    };
    store.recordEpoch({ runId: run.id, metrics: metrics(1), checkpoint: given });
    expect(store.getCheckpoint(run.id)).toEqual(given);
  });

  it('stores typed arrays as blobs, not JSON', () => {
    const run = newRun({ status: 'running' });
    store.recordEpoch({ runId: run.id, metrics: metrics(1), snapshot: snapshot(1, { latent: 1000 }) });
    const raw = new Database(file, { readonly: true });
    const row = raw
      .prepare<[], { t: string; n: number }>('SELECT typeof(z_mu) AS t, length(z_mu) AS n FROM snapshots')
      .get()!;
    raw.close();
    expect(row).toEqual({ t: 'blob', n: 1000 * 2 * 4 });
  });

  it('keeps only the latest checkpoint but the decoder weights of every epoch', () => {
    const run = newRun({ status: 'running' });
    for (const e of [1, 2, 3]) {
      store.recordEpoch({
        runId: run.id,
        metrics: metrics(e),
        checkpoint: checkpoint(e, e),
        decoderWeights: decoderWeights(e),
      });
    }
    expect(store.getCheckpoint(run.id)!.epoch).toBe(3);
    expect(store.getCheckpoint(run.id)!.weights).toEqual(checkpoint(3, 3).weights);
    expect(store.getDecoderWeights(run.id, 2).weights).toEqual(decoderWeights(2));
    expect(store.getDecoderWeights(run.id).epoch).toBe(3);
    expect(codeOf(() => store.getDecoderWeights(run.id, 9))).toBe('not_found');
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM checkpoints').pluck().get()).toBe(1);
    expect(raw.prepare('SELECT count(*) FROM decoder_weights').pluck().get()).toBe(3);
    raw.close();
  });

  it('answers absent things: no checkpoint is null, no snapshot is not_found', () => {
    const run = newRun();
    expect(store.getCheckpoint(run.id)).toBeNull();
    expect(codeOf(() => store.getSnapshot(run.id))).toBe('not_found');
    expect(codeOf(() => store.getSnapshot('missing'))).toBe('not_found');
    expect(codeOf(() => store.getRun('missing'))).toBe('not_found');
  });

  it('refuses inconsistent epochs and malformed snapshots without writing anything', () => {
    const run = newRun({ status: 'running' });
    expect(
      codeOf(() => store.recordEpoch({ runId: run.id, metrics: metrics(2), snapshot: snapshot(1) })),
    ).toBe('invalid_input');
    expect(
      codeOf(() => store.recordEpoch({ runId: run.id, metrics: metrics(2), checkpoint: checkpoint(1) })),
    ).toBe('invalid_input');
    const bad = snapshot(2);
    bad.manifold.images = bad.manifold.images.subarray(1);
    expect(codeOf(() => store.recordEpoch({ runId: run.id, metrics: metrics(2), snapshot: bad }))).toBe(
      'invalid_input',
    );
    const badWeights = [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }];
    expect(
      codeOf(() => store.recordEpoch({ runId: run.id, metrics: metrics(2), decoderWeights: badWeights })),
    ).toBe('invalid_input');
    expect(codeOf(() => store.recordEpoch({ runId: 'missing', metrics: metrics(1) }))).toBe('not_found');
    expect(store.getRun(run.id).epochs).toEqual([]);
  });

  it('keeps NaN losses of a diverging run as NaN', () => {
    const run = newRun({ status: 'running' });
    const m = metrics(1);
    m.test.loss = Number.NaN;
    store.appendBatchMetrics(run.id, [
      { step: 1, epoch: 1, loss: Number.NaN, recon: 1, kl: Number.POSITIVE_INFINITY },
    ]);
    store.recordEpoch({ runId: run.id, metrics: m });
    const detail = store.getRun(run.id);
    expect(detail.epochs[0]!.test.loss).toBeNaN();
    expect(detail.batches[0]).toEqual([1, Number.NaN, 1, Number.POSITIVE_INFINITY]);
  });

  it('rewinds to the checkpoint before a resume', () => {
    const run = newRun({ status: 'running' });
    store.recordEpoch({
      runId: run.id,
      metrics: metrics(1),
      checkpoint: checkpoint(1),
      snapshot: snapshot(1),
    });
    store.recordEpoch({
      runId: run.id,
      metrics: metrics(2),
      snapshot: snapshot(2),
      decoderWeights: decoderWeights(2),
    });
    store.appendBatchMetrics(run.id, [{ step: 3, epoch: 3, loss: 1, recon: 1, kl: 0 }]);
    store.flushBatches();
    expect(store.rewindToCheckpoint(run.id)).toBe(1);
    const detail = store.getRun(run.id);
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(detail.snapshotEpochs).toEqual([1]);
    expect(detail.batches).toEqual([]);
    expect(detail.epochsDone).toBe(1);
    expect(detail.lastTest).toEqual(metrics(1).test);
    expect(codeOf(() => store.getDecoderWeights(run.id, 2))).toBe('not_found');
  });
});

describe('RunStore: batch metrics', () => {
  it('buffers rows and writes them with the epoch, in the same transaction', () => {
    const run = newRun({ status: 'running' });
    const rows = Array.from({ length: 10 }, (_, i) => ({
      step: i + 1,
      epoch: 1,
      loss: 100 - i,
      recon: 90,
      kl: 10 - i,
    }));
    store.appendBatchMetrics(run.id, rows);
    expect(store.pendingBatchRows).toBe(10);
    expect(store.getRun(run.id).batches).toEqual([]); // not yet written
    store.recordEpoch({ runId: run.id, metrics: metrics(1) });
    expect(store.pendingBatchRows).toBe(0);
    expect(store.getRun(run.id).batches).toEqual(rows.map((r) => [r.step, r.loss, r.recon, r.kl]));
    expect(store.getBatchMetrics(run.id)).toEqual(rows);
  });

  it('writes once batchFlushRows are pending', () => {
    store.close();
    store = openStore({ path: file, appVersion: '0.1.0', batchFlushRows: 5 });
    const run = newRun({ status: 'running' });
    for (let s = 1; s <= 4; s++)
      store.appendBatchMetrics(run.id, [{ step: s, epoch: 1, loss: s, recon: s, kl: 0 }]);
    expect(store.getRun(run.id).batches).toHaveLength(0);
    store.appendBatchMetrics(run.id, [{ step: 5, epoch: 1, loss: 5, recon: 5, kl: 0 }]);
    expect(store.pendingBatchRows).toBe(0);
    expect(store.getRun(run.id).batches).toHaveLength(5);
  });

  it('writes pending rows on a terminal status and on close', () => {
    const a = newRun({ status: 'running' });
    store.appendBatchMetrics(a.id, [{ step: 1, epoch: 1, loss: 1, recon: 1, kl: 0 }]);
    store.setStatus({ runId: a.id, status: 'stopped' });
    expect(store.getRun(a.id).batches).toHaveLength(1);
    const b = newRun({ status: 'running' });
    store.appendBatchMetrics(b.id, [{ step: 1, epoch: 1, loss: 1, recon: 1, kl: 0 }]);
    store.close();
    store = openStore({ path: file, appVersion: '0.1.0' });
    expect(store.getRun(b.id).batches).toHaveLength(1);
  });

  it('thins a long run to at most maxBatchPoints averaged points', () => {
    const run = newRun({ status: 'running' });
    const total = 93_800;
    const rows = Array.from({ length: total }, (_, i) => ({
      step: i + 1,
      epoch: Math.floor(i / 938) + 1,
      loss: i + 1,
      recon: 2 * (i + 1),
      kl: 1,
    }));
    store.appendBatchMetrics(run.id, rows);
    store.flushBatches();
    const { batches } = store.getRun(run.id);
    expect(batches.length).toBeLessThanOrEqual(maxBatchPoints);
    expect(batches.length).toBeGreaterThan(maxBatchPoints * 0.9);
    // Bucket of 47 steps: 1..47 averages to 24 (loss = step, so the mean loss equals the mean step).
    expect(batches[0]).toEqual([24, 24, 48, 1]);
    for (const [step, loss] of batches) expect(loss).toBeCloseTo(step, 0);
    expect(batches.at(-1)![0]).toBeGreaterThan(total - 47);
  });

  it('refuses rows without a valid step or epoch', () => {
    expect(
      codeOf(() => store.appendBatchMetrics('r', [{ step: 0, epoch: 1, loss: 1, recon: 1, kl: 1 }])),
    ).toBe('invalid_input');
    expect(store.pendingBatchRows).toBe(0);
  });
});

describe('RunStore: delete and compare', () => {
  it('deletes a run and everything it owns (ON DELETE CASCADE), leaving other runs', () => {
    const keep = newRun({ status: 'running' });
    const gone = newRun({ status: 'running' });
    for (const run of [keep, gone]) {
      store.appendBatchMetrics(run.id, [{ step: 1, epoch: 1, loss: 1, recon: 1, kl: 0 }]);
      store.recordEpoch({
        runId: run.id,
        metrics: metrics(1),
        snapshot: snapshot(1),
        checkpoint: checkpoint(1),
        decoderWeights: decoderWeights(1),
      });
    }
    expect(codeOf(() => store.deleteRun(gone.id))).toBe('conflict'); // still running
    store.setStatus({ runId: gone.id, status: 'stopped' });
    store.deleteRun(gone.id);
    expect(codeOf(() => store.getRun(gone.id))).toBe('not_found');
    expect(codeOf(() => store.deleteRun(gone.id))).toBe('not_found');

    const raw = new Database(file, { readonly: true });
    for (const table of ['epoch_metrics', 'batch_metrics', 'snapshots', 'checkpoints', 'decoder_weights']) {
      const counts = raw
        .prepare<[], { run_id: string; n: number }>(
          `SELECT run_id, count(*) AS n FROM ${table} GROUP BY run_id`,
        )
        .all();
      expect({ table, counts }).toEqual({ table, counts: [{ run_id: keep.id, n: 1 }] });
    }
    raw.close();
  });

  it('compares runs: series aligned by epoch and a table flagging differences', () => {
    const a = newRun({ status: 'running', hyperparams: hyperparams({ epochs: 3 }) });
    const b = newRun({ status: 'running', hyperparams: hyperparams({ epochs: 3, beta: 4 }) });
    for (const e of [1, 2, 3]) store.recordEpoch({ runId: a.id, metrics: metrics(e, 100 + e) });
    store.recordEpoch({ runId: b.id, metrics: metrics(1, 90) });
    const cmp = store.compareRuns([b.id, a.id]);
    expect(cmp.runs.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(cmp.epochs).toEqual([1, 2, 3]);
    expect(cmp.series[0]).toEqual({
      runId: b.id,
      train: [metrics(1, 90).train, null, null],
      test: [metrics(1, 90).test, null, null],
    });
    expect(cmp.series[1]!.test.map((t) => t?.loss)).toEqual([101, 102, 103]);
    const row = (key: string) => cmp.table.find((r) => r.key === key);
    expect(row('beta')).toEqual({ key: 'beta', values: [4, 1], differs: true });
    expect(row('hidden')).toEqual({ key: 'hidden', values: [[256], [256]], differs: false });
    expect(row('datasetHash')).toEqual({
      key: 'datasetHash',
      values: ['sha256:mnist', 'sha256:mnist'],
      differs: false,
    });
    expect(cmp.table.filter((r) => r.differs).map((r) => r.key)).toEqual(['beta']);
    expect(cmp.table.map((r) => r.key)).toEqual(
      expect.arrayContaining(['dataset', 'learningRate', 'seed', 'backend', 'appVersion']),
    );
    expect(codeOf(() => store.compareRuns([a.id, 'missing']))).toBe('not_found');
  });
});

describe('RunStore: datasets', () => {
  const info = {
    name: 'fashion',
    source: 'idx' as const,
    hash: 'sha256:f',
    trainCount: 60000,
    testCount: 10000,
    height: 28,
    width: 28,
    channels: 1 as const,
    labels: ['T-shirt', 'Trouser'],
    createdAt: '2025-03-01T00:00:00.000Z',
  };

  it('upserts and reads dataset rows', () => {
    expect(store.upsertDataset(info)).toEqual(info);
    expect(store.upsertDataset({ ...info, hash: 'sha256:g' }).hash).toBe('sha256:g');
    store.upsertDataset({ ...info, name: 'alpha', source: 'folder', channels: 3 });
    expect(store.getDataset('alpha')).toMatchObject({ source: 'folder', channels: 3 });
    expect(store.getDataset('fashion')).toMatchObject({ hash: 'sha256:g', labels: ['T-shirt', 'Trouser'] });
    expect(codeOf(() => store.getDataset('mnist'))).toBe('not_found');
  });
});
