import type { Migration } from './migration';

/**
 * Sweeps and their persistent job queue.
 *
 * A sweep row holds its spec (JSON: base hyperparameters, axes, mode); each
 * job is one run to train, in queue order (`position`), with the swept values
 * and the full hyperparameters it will train with. A job is claimed like a
 * run is owned (owner pid/host/token, see ownership.ts) plus a heartbeat, so
 * several processes can work on one queue: a claim is an UPDATE inside an
 * IMMEDIATE transaction, and a job whose owner is gone goes back to the queue
 * keeping its run, which is then resumed from its checkpoint, not restarted.
 */
export const migration: Migration = {
  version: 3,
  name: 'sweeps',
  up(db) {
    db.exec(`
      CREATE TABLE sweeps (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('queued', 'stopped', 'completed')),
        created_at  TEXT NOT NULL,
        spec        TEXT NOT NULL CHECK (json_valid(spec)),
        backend     TEXT NOT NULL DEFAULT 'auto'
      );
      CREATE INDEX sweeps_by_created ON sweeps (created_at);

      CREATE TABLE sweep_jobs (
        id            INTEGER PRIMARY KEY,
        sweep_id      TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        status        TEXT NOT NULL CHECK (status IN
                        ('queued', 'running', 'completed', 'failed', 'diverged', 'stopped', 'skipped')),
        hyperparams   TEXT NOT NULL CHECK (json_valid(hyperparams)),
        swept_values  TEXT NOT NULL CHECK (json_valid(swept_values)),
        run_id        TEXT REFERENCES runs (id) ON DELETE SET NULL,
        message       TEXT,
        owner_pid     INTEGER,
        owner_host    TEXT,
        owner_token   TEXT,
        heartbeat_at  TEXT
      );
      CREATE INDEX sweep_jobs_by_sweep ON sweep_jobs (sweep_id, status, position);
      CREATE INDEX sweep_jobs_by_run ON sweep_jobs (run_id);
    `);
  },
};
