import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type RunStore } from '../../../src-main/store';
import { checkpoint, decoderWeights, hyperparams, metrics, snapshot, tempDir } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: RunStore;
beforeEach(() => {
  tmp = tempDir('vae-retention-');
  file = join(tmp.dir, 'runs.db');
  store = openStore({ path: file, appVersion: '0.1.0' });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

// Big enough per epoch (~0.9 MB of weights) that pruning 20 epochs is worth a VACUUM.
const big = { latent: 2, hidden: 256, pixels: 784 };

function trainEpochs(runId: string, epochs: number, shape = big): void {
  for (let epoch = 1; epoch <= epochs; epoch++) {
    store.recordEpoch({
      runId,
      metrics: metrics(epoch),
      snapshot: snapshot(epoch),
      checkpoint: checkpoint(epoch),
      decoderWeights: decoderWeights(epoch, shape),
    });
  }
}

const weightsBytes = (shape: typeof big) =>
  4 * (shape.latent * shape.hidden + shape.hidden + shape.hidden * shape.pixels + shape.pixels);

describe('run sizes and retention', () => {
  it('measures each run by kind, in the list and in the detail', () => {
    const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    const empty = store.getRunSize(run.id);
    expect(empty).toEqual({ snapshots: 0, epochWeights: 0, checkpoint: 0, metrics: 0, total: 0 });
    trainEpochs(run.id, 3);
    const size = store.getRunSize(run.id);
    // Each bundle is the raw float32 data plus a small header.
    expect(size.epochWeights).toBeGreaterThan(3 * weightsBytes(big));
    expect(size.epochWeights).toBeLessThan(3 * weightsBytes(big) + 3 * 1024);
    expect(size.snapshots).toBeGreaterThan(0);
    expect(size.checkpoint).toBeGreaterThan(0);
    expect(size.total).toBe(size.snapshots + size.epochWeights + size.checkpoint + size.metrics);
    expect(store.listRuns()[0]?.sizeBytes).toBe(size.total);
    expect(store.getRun(run.id).size).toEqual(size);
    expect(store.getRunSummary(run.id).sizeBytes).toBe(size.total);
  });

  it('lists each run with its own size, in pages too', () => {
    const runs = [1, 0, 2].map((epochs) => {
      const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
      trainEpochs(run.id, epochs, { latent: 2, hidden: 8 * (epochs + 1), pixels: 784 });
      return run.id;
    });
    const expected = runs.map((id) => [id, store.getRunSize(id).total]).reverse();
    expect(new Set(expected.map(([, total]) => total)).size).toBe(3);
    const listed = store.listRuns().map((r) => [r.id, r.sizeBytes]);
    expect(listed).toEqual(expected);
    const paged = [...store.listRuns({ limit: 2 }), ...store.listRuns({ limit: 2, offset: 2 })];
    expect(paged.map((r) => [r.id, r.sizeBytes])).toEqual(expected);
  });

  it('pruning keeps the last N epochs of weights, every snapshot and the resume checkpoint, and frees the file', () => {
    const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    trainEpochs(run.id, 24);
    store.setStatus({ runId: run.id, status: 'stopped', message: 'Stopped by the user.' });
    const before = store.getRunSize(run.id);
    const fileBefore = statSync(file).size + statSync(`${file}-wal`).size;

    const pruned = store.pruneRun({ runId: run.id, keepCheckpoints: 2 });
    expect(pruned.prunedEpochs).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(pruned.freedBytes).toBe(before.epochWeights - store.getRunSize(run.id).epochWeights);
    expect(pruned.compacted).toBe(true);

    const after = store.getRunSize(run.id);
    expect(after.snapshots).toBe(before.snapshots);
    expect(after.checkpoint).toBe(before.checkpoint);
    expect(store.getRun(run.id).snapshotEpochs).toHaveLength(24);
    expect(store.getRun(run.id).keepCheckpoints).toBe(2);
    expect(store.getDecoderWeights(run.id, 24).epoch).toBe(24);
    expect(store.getDecoderWeights(run.id, 23).epoch).toBe(23);
    expect(() => store.getDecoderWeights(run.id, 22)).toThrow(/keeps only its last 2 epochs' weights/);
    // The stopped run still resumes from epoch 24.
    expect(store.getCheckpoint(run.id)?.epoch).toBe(24);
    expect(store.rewindToCheckpoint(run.id)).toBe(24);

    const fileAfter = statSync(file).size + statSync(`${file}-wal`).size;
    expect(fileBefore - fileAfter).toBeGreaterThan(0.9 * pruned.freedBytes);
    expect(store.storageUsage().fileBytes).toBe(statSync(file).size);
  });

  it('a run follows its retention epoch by epoch, and new runs take the stored default', () => {
    expect(store.getDefaultKeepCheckpoints()).toBeNull();
    store.setDefaultKeepCheckpoints(3);
    const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    const small = { latent: 2, hidden: 8, pixels: 16 };
    trainEpochs(run.id, 5, small);
    expect(store.getRun(run.id).keepCheckpoints).toBe(3);
    expect(() => store.getDecoderWeights(run.id, 2)).toThrow(/retention/);
    expect(store.getDecoderWeights(run.id, 3).epoch).toBe(3);
    expect(store.getRun(run.id).snapshotEpochs).toEqual([1, 2, 3, 4, 5]);

    const explicit = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h', keepCheckpoints: null });
    trainEpochs(explicit.id, 5, small);
    expect(store.getDecoderWeights(explicit.id, 1).epoch).toBe(1);

    // Reopened, the default is still there.
    store.close();
    store = openStore({ path: file, appVersion: '0.1.0' });
    expect(store.getDefaultKeepCheckpoints()).toBe(3);
  });

  it('refuses a retention that is not a whole number of at least 1', () => {
    const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => store.pruneRun({ runId: run.id, keepCheckpoints: bad })).toThrow(/at least 1/);
      expect(() => store.pruneRun({ runId: run.id, keepCheckpoints: bad })).toThrow(
        expect.objectContaining({ code: 'invalid_input' }),
      );
      expect(() => store.setDefaultKeepCheckpoints(bad)).toThrow(/at least 1/);
    }
    expect(() => store.pruneRun({ runId: 'nope', keepCheckpoints: 1 })).toThrow(
      expect.objectContaining({ code: 'not_found' }),
    );
  });

  it('deleting large runs compacts the file', () => {
    const a = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    trainEpochs(a.id, 20);
    store.setStatus({ runId: a.id, status: 'stopped' });
    const usage = store.storageUsage();
    expect(usage.runsBytes).toBe(store.getRunSize(a.id).total);
    store.deleteRun(a.id);
    const after = store.storageUsage();
    expect(after.runsBytes).toBe(0);
    expect(after.freeBytes).toBe(0);
    expect(after.fileBytes).toBeLessThan(usage.fileBytes / 4);
  });
});
