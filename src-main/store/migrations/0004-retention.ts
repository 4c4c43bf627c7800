import type { Migration } from './migration';

/**
 * Retention of per-epoch weights, and a table for app-wide settings.
 *
 * `runs.keep_checkpoints` is how many of a run's latest per-epoch weights
 * (`decoder_weights`, ~0.8 MB an epoch for the reference model) are kept;
 * NULL keeps all of them, as every run did before. Snapshots and the run's
 * resume checkpoint (`checkpoints`, one row per run) are never pruned.
 * `settings` holds the default new runs take (`retention.keepCheckpoints`),
 * as JSON text per key. Existing runs keep everything.
 */
export const migration: Migration = {
  version: 4,
  name: 'retention',
  up(db) {
    db.exec(`
      ALTER TABLE runs ADD COLUMN keep_checkpoints INTEGER
        CHECK (keep_checkpoints IS NULL OR keep_checkpoints >= 1);
      CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL CHECK (json_valid(value))
      ) WITHOUT ROWID;
    `);
  },
};
