import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandSweep, parseAxis, type SweepSpec } from '../../../shared/sweep';
import { openStore, type RunStore } from '../../../src-main/store';
import { SweepStore } from '../../../src-main/store/sweep-store';
import { hyperparams, tempDir } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let store: RunStore;
let sweeps: SweepStore;
let clock: number;
const now = () => new Date(clock);

function spec(): SweepSpec {
  return {
    base: hyperparams({ epochs: 2 }),
    axes: [parseAxis('beta', '0.5,1'), parseAxis('latentDim', '2,4')],
    mode: 'grid',
  };
}

function create(s = sweeps) {
  const sp = spec();
  return s.createSweep({ spec: sp, points: expandSweep(sp), name: 'grid' });
}

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'runs.db');
  clock = Date.parse('2026-01-01T00:00:00Z');
  store = openStore({ path: file, appVersion: '0.1.0' });
  sweeps = new SweepStore({ db: store.connection, now, staleAfterMs: 60_000 });
});
afterEach(() => {
  sweeps.close();
  store.close();
  tmp.cleanup();
});

describe('SweepStore', () => {
  it('stores a sweep with its jobs queued in order', () => {
    const sweep = create();
    expect(sweep).toMatchObject({
      name: 'grid',
      status: 'queued',
      total: 4,
      done: 0,
      keys: ['beta', 'latentDim'],
    });
    expect(sweep.jobs.map((j) => [j.position, j.status, j.values])).toEqual([
      [0, 'queued', { beta: 0.5, latentDim: 2 }],
      [1, 'queued', { beta: 0.5, latentDim: 4 }],
      [2, 'queued', { beta: 1, latentDim: 2 }],
      [3, 'queued', { beta: 1, latentDim: 4 }],
    ]);
    expect(sweeps.listSweeps().map((s) => s.id)).toEqual([sweep.id]);
  });

  it('claims jobs in order, one owner each, and completes the sweep when all ended', () => {
    const sweep = create();
    const a = sweeps.claimNext(sweep.id)!;
    expect(a.hyperparams).toEqual(hyperparams({ epochs: 2, beta: 0.5, latentDim: 2 }));
    expect(a.name).toBe('grid: beta 0.5, latent-dim 2');
    expect(sweeps.getSweep(sweep.id).status).toBe('running');
    const b = sweeps.claimNext(sweep.id)!;
    expect(b.jobId).not.toBe(a.jobId);
    sweeps.finishJob(a.jobId, 'completed', null);
    sweeps.finishJob(b.jobId, 'diverged', 'Loss became NaN.');
    const c = sweeps.claimNext(sweep.id)!;
    const d = sweeps.claimNext(sweep.id)!;
    expect(sweeps.claimNext(sweep.id)).toBeNull();
    sweeps.finishJob(c.jobId, 'failed', 'boom');
    expect(sweeps.getSweep(sweep.id).status).toBe('running');
    sweeps.finishJob(d.jobId, 'completed', null);
    expect(sweeps.getSweep(sweep.id)).toMatchObject({
      status: 'completed',
      done: 4,
      completed: 2,
      failed: 2,
    });
  });

  it('never hands one job to two stores working on the same file', () => {
    const sweep = create();
    const other = openStore({ path: file, appVersion: '0.1.0' });
    const second = new SweepStore({ db: other.connection, now });
    try {
      const claimed = [
        sweeps.claimNext(sweep.id),
        second.claimNext(sweep.id),
        second.claimNext(sweep.id),
        sweeps.claimNext(sweep.id),
        sweeps.claimNext(sweep.id),
        second.claimNext(sweep.id),
      ];
      const ids = claimed.filter((c) => c !== null).map((c) => c.jobId);
      expect(ids).toHaveLength(4);
      expect(new Set(ids).size).toBe(4);
    } finally {
      second.close();
      other.close();
    }
  });

  it('takes back the job of a process that is gone, keeping its run', () => {
    const sweep = create();
    const job = sweeps.claimNext(sweep.id)!;
    const run = store.createRun({ hyperparams: job.hyperparams, datasetHash: 'h' });
    sweeps.attachRun(job.jobId, run.id);
    // A live owner keeps its job.
    expect(sweeps.claimNext(sweep.id)!.jobId).not.toBe(job.jobId);
    // The owning process died: a pid that cannot exist.
    store.connection.prepare('UPDATE sweep_jobs SET owner_pid = 2147483646 WHERE id = ?').run(job.jobId);
    const again = sweeps.claimNext(sweep.id)!;
    expect(again.jobId).toBe(job.jobId);
    expect(again.runId).toBe(run.id);
  });

  it('takes back a job whose heartbeat is stale, not one that beats', () => {
    const sweep = create();
    const job = sweeps.claimNext(sweep.id)!;
    const other = openStore({ path: file, appVersion: '0.1.0' });
    const second = new SweepStore({ db: other.connection, now, staleAfterMs: 60_000 });
    try {
      clock += 50_000;
      sweeps.heartbeat();
      clock += 50_000;
      expect(second.claimNext(sweep.id)!.jobId).not.toBe(job.jobId);
      clock += 61_000;
      expect(second.claimNext(sweep.id)!.jobId).toBe(job.jobId);
    } finally {
      second.close();
      other.close();
    }
  });

  it('gives its running jobs back to the queue when it closes', () => {
    const sweep = create();
    sweeps.claimNext(sweep.id);
    sweeps.close();
    expect(new SweepStore({ db: store.connection }).getSweep(sweep.id).jobs[0]!.status).toBe('queued');
  });

  it('stops handing out jobs when stopped, and reopens stopped jobs on resume', () => {
    const sweep = create();
    const a = sweeps.claimNext(sweep.id)!;
    const run = store.createRun({ hyperparams: a.hyperparams, datasetHash: 'h' });
    sweeps.attachRun(a.jobId, run.id);
    expect(sweeps.stopSweep(sweep.id)).toEqual([run.id]);
    expect(sweeps.claimNext(sweep.id)).toBeNull();
    sweeps.finishJob(a.jobId, 'stopped', 'Stopped.');
    expect(sweeps.getSweep(sweep.id).status).toBe('stopped');
    expect(sweeps.reopenSweep(sweep.id)).toBe(4);
    const again = sweeps.claimNext(sweep.id)!;
    expect([again.jobId, again.runId]).toEqual([a.jobId, run.id]);
  });

  it('skips and reorders waiting jobs', () => {
    const sweep = create();
    const [j0, j1, j2, j3] = sweep.jobs.map((j) => j.id);
    sweeps.moveJob(sweep.id, j3!, 0);
    expect(sweeps.getSweep(sweep.id).jobs.map((j) => j.id)).toEqual([j3, j0, j1, j2]);
    expect(sweeps.skipJob(sweep.id, j0!)).toEqual({ runId: null });
    expect(sweeps.claimNext(sweep.id)!.jobId).toBe(j3);
    expect(sweeps.claimNext(sweep.id)!.jobId).toBe(j1);
    expect(() => sweeps.skipJob(sweep.id, j0!)).toThrow('has already ended (skipped)');
    expect(() => sweeps.moveJob(sweep.id, j1!, 0)).toThrow('is not waiting');
    expect(() => sweeps.getSweep('nope')).toThrow('Sweep "nope" does not exist');
  });

  it('shows each job its run’s state', () => {
    const sweep = create();
    const a = sweeps.claimNext(sweep.id)!;
    const run = store.createRun({ hyperparams: a.hyperparams, datasetHash: 'h' });
    sweeps.attachRun(a.jobId, run.id);
    expect(sweeps.getSweep(sweep.id).jobs[0]!.run).toMatchObject({
      status: 'queued',
      epochsDone: 0,
      lastTest: null,
    });
    expect(sweeps.sweepOfRun(run.id)).toBe(sweep.id);
  });
});
