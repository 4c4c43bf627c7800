import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hyperparamFlags, type Hyperparams } from '../../shared/hyperparams';
import type {
  SweepDetail,
  SweepJob,
  SweepJobStatus,
  SweepKey,
  SweepPoint,
  SweepSpec,
  SweepStatus,
  SweepSummary,
} from '../../shared/sweep';
import type { RunStatus } from '../../shared/run';
import { StoreError } from './errors';
import { guarded, inWriteTransaction } from './guarded';
import { Ownership, type OwnerColumns } from './ownership';

/**
 * The persistent sweep queue, in the run store's database file. Every claim
 * is one IMMEDIATE transaction, so two processes working on one queue never
 * take the same job; a job whose owner process is gone ({@link Ownership})
 * or whose heartbeat is stale goes back to the queue with its run, to be
 * resumed rather than started again.
 */

interface SweepRow {
  id: string;
  name: string;
  status: 'queued' | 'stopped' | 'completed';
  created_at: string;
  spec: string;
  backend: string;
}

interface JobRow extends OwnerColumns {
  id: number;
  sweep_id: string;
  position: number;
  status: SweepJobStatus;
  hyperparams: string;
  swept_values: string;
  run_id: string | null;
  message: string | null;
  heartbeat_at: string | null;
  run_status: RunStatus | null;
  epochs_done: number | null;
  last_test_loss: number | null;
  last_test_recon: number | null;
  last_test_kl: number | null;
  started_at: string | null;
  finished_at: string | null;
}

/** A job this process has claimed: what to train, and the run to resume if one exists. */
export interface ClaimedJob {
  jobId: number;
  sweepId: string;
  hyperparams: Hyperparams;
  runId: string | null;
  backend: string;
  name: string;
}

const endedJob: readonly SweepJobStatus[] = ['completed', 'failed', 'diverged', 'stopped', 'skipped'];

export interface SweepStoreOptions {
  db: Database.Database;
  now?: () => Date;
  /** A claimed job whose heartbeat is older than this is taken back (a hung process). */
  staleAfterMs?: number;
}

export class SweepStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly staleAfterMs: number;
  private readonly owner = new Ownership();
  /** Whether this store ever claimed a job (close() then gives back what it still holds). */
  private claimed = false;
  // Prepared on first use: a read-only CLI on a database without these tables still opens.
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(options: SweepStoreOptions) {
    this.db = options.db;
    this.now = options.now ?? (() => new Date());
    this.staleAfterMs = options.staleAfterMs ?? 120_000;
  }

  private sql<R = unknown>(text: string): Database.Statement<unknown[], R> {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement as Database.Statement<unknown[], R>;
  }

  private guard<T>(what: string, fn: () => T): T {
    return guarded(this.db, what, fn);
  }

  private write<T>(what: string, fn: () => T): T {
    return inWriteTransaction(this.db, what, fn);
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  /** Stores a sweep and all its jobs, queued, in one transaction. */
  createSweep(input: {
    name?: string;
    spec: SweepSpec;
    points: readonly SweepPoint[];
    backend?: string;
  }): SweepDetail {
    const id = randomUUID();
    this.write('create a sweep', () => {
      const count = this.sql<number>('SELECT count(*) FROM sweeps').pluck().get() as number;
      const keys = input.spec.axes.map((a) => hyperparamFlags[a.key]).join(' × ');
      this.sql(
        `INSERT INTO sweeps (id, name, status, created_at, spec, backend)
         VALUES (@id, @name, 'queued', @createdAt, @spec, @backend)`,
      ).run({
        id,
        name: input.name?.trim() || `sweep ${keys || 'runs'} #${count + 1}`,
        createdAt: this.nowIso(),
        spec: JSON.stringify(input.spec),
        backend: input.backend ?? 'auto',
      });
      const insert = this.sql(
        `INSERT INTO sweep_jobs (sweep_id, position, status, hyperparams, swept_values)
         VALUES (@sweepId, @position, 'queued', @hyperparams, @values)`,
      );
      input.points.forEach((point, position) =>
        insert.run({
          sweepId: id,
          position,
          hyperparams: JSON.stringify(point.hyperparams),
          values: JSON.stringify(point.values),
        }),
      );
    });
    return this.getSweep(id);
  }

  private requireSweep(id: string): SweepRow {
    const row = this.sql<SweepRow>('SELECT * FROM sweeps WHERE id = ?').get(id);
    if (!row) throw new StoreError('not_found', `Sweep "${id}" does not exist (see vae-studio sweep list).`);
    return row;
  }

  private jobsOf(id: string): JobRow[] {
    return this.sql<JobRow>(
      `SELECT j.*, r.status AS run_status, r.epochs_done, r.last_test_loss, r.last_test_recon, r.last_test_kl,
         r.started_at, r.finished_at
       FROM sweep_jobs j LEFT JOIN runs r ON r.id = j.run_id
       WHERE j.sweep_id = ? ORDER BY j.position, j.id`,
    ).all(id);
  }

  private summary(row: SweepRow, jobs: readonly JobRow[]): SweepSummary {
    const spec = JSON.parse(row.spec) as SweepSpec;
    const count = (s: SweepJobStatus) => jobs.filter((j) => j.status === s).length;
    const running = count('running');
    let status: SweepStatus = row.status;
    if (status === 'queued' && running > 0) status = 'running';
    return {
      id: row.id,
      name: row.name,
      status,
      createdAt: row.created_at,
      keys: spec.axes.map((a) => a.key),
      base: spec.base,
      mode: spec.mode,
      total: jobs.length,
      done: jobs.filter((j) => endedJob.includes(j.status)).length,
      completed: count('completed'),
      failed: count('failed') + count('diverged'),
      running,
    };
  }

  private toJob(row: JobRow): SweepJob {
    return {
      id: row.id,
      position: row.position,
      status: row.status,
      values: JSON.parse(row.swept_values) as Partial<Record<SweepKey, number>>,
      runId: row.run_id,
      message: row.message,
      run:
        row.run_status === null
          ? null
          : {
              status: row.run_status,
              epochsDone: row.epochs_done ?? 0,
              lastTest:
                row.last_test_loss === null
                  ? null
                  : { loss: row.last_test_loss, recon: row.last_test_recon ?? 0, kl: row.last_test_kl ?? 0 },
              startedAt: row.started_at,
              finishedAt: row.finished_at,
            },
    };
  }

  getSweep(id: string): SweepDetail {
    return this.guard('read a sweep', () => {
      const row = this.requireSweep(id);
      const jobs = this.jobsOf(id);
      return { ...this.summary(row, jobs), jobs: jobs.map((j) => this.toJob(j)) };
    });
  }

  listSweeps(): SweepSummary[] {
    return this.guard('list sweeps', () => {
      const rows = this.sql<SweepRow>('SELECT * FROM sweeps ORDER BY created_at DESC, id').all();
      return rows.map((row) => this.summary(row, this.jobsOf(row.id)));
    });
  }

  private orphaned(job: JobRow): boolean {
    if (this.owner.isOrphaned(job)) return true;
    if (job.heartbeat_at === null) return true;
    return this.now().getTime() - Date.parse(job.heartbeat_at) > this.staleAfterMs;
  }

  /** Puts back in the queue the running jobs of owners that are gone; returns how many. */
  private requeueOrphans(sweepId: string): number {
    const running = this.sql<JobRow>(
      "SELECT * FROM sweep_jobs WHERE sweep_id = ? AND status = 'running'",
    ).all(sweepId);
    let n = 0;
    for (const job of running) {
      if (!this.orphaned(job)) continue;
      this.sql(
        `UPDATE sweep_jobs SET status = 'queued', owner_pid = NULL, owner_host = NULL, owner_token = NULL,
           heartbeat_at = NULL, message = 'Its process ended; the run resumes from its last checkpoint.'
         WHERE id = ? AND status = 'running'`,
      ).run(job.id);
      n++;
    }
    return n;
  }

  /**
   * Claims the first queued job of a sweep for this process, or null when
   * none is left or the sweep is stopped. Orphaned jobs are queued again first.
   */
  claimNext(sweepId: string): ClaimedJob | null {
    return this.write('claim a sweep job', () => {
      const sweep = this.requireSweep(sweepId);
      this.requeueOrphans(sweepId);
      if (sweep.status !== 'queued') return null;
      const job = this.sql<JobRow>(
        "SELECT * FROM sweep_jobs WHERE sweep_id = ? AND status = 'queued' ORDER BY position, id LIMIT 1",
      ).get(sweepId);
      if (!job) return null;
      this.sql(
        `UPDATE sweep_jobs SET status = 'running', owner_pid = @ownerPid, owner_host = @ownerHost,
           owner_token = @ownerToken, heartbeat_at = @now, message = NULL
         WHERE id = @id AND status = 'queued'`,
      ).run({ id: job.id, now: this.nowIso(), ...this.owner.params(true) });
      this.claimed = true;
      const values = JSON.parse(job.swept_values) as Record<string, number>;
      const label = Object.entries(values)
        .map(([k, v]) => `${hyperparamFlags[k as SweepKey]} ${v}`)
        .join(', ');
      return {
        jobId: job.id,
        sweepId,
        hyperparams: JSON.parse(job.hyperparams) as Hyperparams,
        runId: job.run_id,
        backend: sweep.backend,
        name: `${sweep.name}: ${label || `#${job.position + 1}`}`,
      };
    });
  }

  /** Records the run a claimed job trains. */
  attachRun(jobId: number, runId: string): void {
    this.write('record a sweep run', () => {
      this.sql('UPDATE sweep_jobs SET run_id = ? WHERE id = ?').run(runId, jobId);
    });
  }

  /** Refreshes the heartbeat of every job this process holds. */
  heartbeat(): void {
    this.write('refresh sweep heartbeats', () => {
      this.sql(
        "UPDATE sweep_jobs SET heartbeat_at = @now WHERE status = 'running' AND owner_token = @ownerToken",
      ).run({ now: this.nowIso(), ownerToken: this.owner.params(true).ownerToken });
    });
  }

  /** Ends a claimed job (or puts it back in the queue); completes the sweep when nothing is left. */
  finishJob(jobId: number, status: SweepJobStatus, message: string | null): void {
    this.write('finish a sweep job', () => {
      this.sql(
        `UPDATE sweep_jobs SET status = @status, message = @message, owner_pid = NULL, owner_host = NULL,
           owner_token = NULL, heartbeat_at = NULL WHERE id = @id`,
      ).run({ id: jobId, status, message });
      const sweepId = this.sql<string>('SELECT sweep_id FROM sweep_jobs WHERE id = ?').pluck().get(jobId);
      if (typeof sweepId === 'string') this.completeIfDone(sweepId);
    });
  }

  private completeIfDone(sweepId: string): void {
    const left = this.sql<number>(
      "SELECT count(*) FROM sweep_jobs WHERE sweep_id = ? AND status IN ('queued', 'running')",
    )
      .pluck()
      .get(sweepId) as number;
    if (left === 0) {
      this.sql("UPDATE sweeps SET status = 'completed' WHERE id = ? AND status = 'queued'").run(sweepId);
    }
  }

  /** Stops handing out jobs; returns the runs still training so the caller stops them. */
  stopSweep(sweepId: string): string[] {
    return this.write('stop a sweep', () => {
      const sweep = this.requireSweep(sweepId);
      if (sweep.status === 'queued') {
        this.sql("UPDATE sweeps SET status = 'stopped' WHERE id = ?").run(sweepId);
      }
      return this.jobsOf(sweepId)
        .filter((j) => j.status === 'running' && j.run_id !== null)
        .map((j) => j.run_id!);
    });
  }

  /**
   * Makes a sweep hand out jobs again: orphaned jobs and jobs stopped with the
   * sweep go back to the queue. Returns the number of jobs left to run.
   */
  reopenSweep(sweepId: string): number {
    return this.write('resume a sweep', () => {
      this.requireSweep(sweepId);
      this.requeueOrphans(sweepId);
      this.sql(
        "UPDATE sweep_jobs SET status = 'queued', message = NULL WHERE sweep_id = ? AND status = 'stopped'",
      ).run(sweepId);
      this.sql("UPDATE sweeps SET status = 'queued' WHERE id = ?").run(sweepId);
      this.completeIfDone(sweepId);
      return this.sql<number>(
        "SELECT count(*) FROM sweep_jobs WHERE sweep_id = ? AND status IN ('queued', 'running')",
      )
        .pluck()
        .get(sweepId) as number;
    });
  }

  /** Skips a queued job; a running one is returned (its run id) for the caller to stop. */
  skipJob(sweepId: string, jobId: number): { runId: string | null } {
    return this.write('skip a sweep job', () => {
      const job = this.jobsOf(sweepId).find((j) => j.id === jobId);
      if (!job) throw new StoreError('not_found', `Sweep "${sweepId}" has no job ${jobId}.`);
      if (job.status === 'queued') {
        this.sql("UPDATE sweep_jobs SET status = 'skipped', message = 'Skipped.' WHERE id = ?").run(jobId);
        this.completeIfDone(sweepId);
        return { runId: null };
      }
      if (job.status === 'running') return { runId: job.run_id };
      throw new StoreError(
        'conflict',
        `Job ${jobId} has already ended (${job.status}); only waiting or running jobs can be skipped.`,
      );
    });
  }

  /** Moves a queued job to `position` (0 = next) among the queued jobs. */
  moveJob(sweepId: string, jobId: number, position: number): void {
    this.write('reorder a sweep', () => {
      const queued = this.jobsOf(sweepId).filter((j) => j.status === 'queued');
      const from = queued.findIndex((j) => j.id === jobId);
      if (from < 0)
        throw new StoreError(
          'conflict',
          `Job ${jobId} is not waiting in sweep "${sweepId}"; only waiting jobs move.`,
        );
      const [job] = queued.splice(from, 1);
      queued.splice(Math.max(0, Math.min(position, queued.length)), 0, job!);
      // Waiting jobs take the positions they held, in the new order, so ended jobs keep theirs.
      const slots = queued.map((j) => j.position).sort((a, b) => a - b);
      const update = this.sql('UPDATE sweep_jobs SET position = ? WHERE id = ?');
      queued.forEach((j, i) => update.run(slots[i], j.id));
    });
  }

  /** The sweep that a run belongs to, if any. */
  sweepOfRun(runId: string): string | null {
    return this.guard('look up a run\u2019s sweep', () => {
      const id = this.sql<string>('SELECT sweep_id FROM sweep_jobs WHERE run_id = ?').pluck().get(runId);
      return typeof id === 'string' ? id : null;
    });
  }

  /** This process's jobs go back to the queue (its runs are marked interrupted by the run store). */
  close(): void {
    if (this.db.open && this.claimed) {
      try {
        this.write('release sweep jobs', () => {
          this.sql(
            `UPDATE sweep_jobs SET status = 'queued', owner_pid = NULL, owner_host = NULL, owner_token = NULL,
               heartbeat_at = NULL WHERE status = 'running' AND owner_token = ?`,
          ).run(this.owner.params(true).ownerToken);
        });
      } catch {
        // A read-only or closed database: the jobs are orphans, taken back at the next claim.
      }
    }
    this.owner.release();
  }
}
