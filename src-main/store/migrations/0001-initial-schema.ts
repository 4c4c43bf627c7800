import type { Migration } from './migration';

/**
 * The first schema: runs, their metrics, snapshots, checkpoints, per-epoch
 * decoder weights, and imported datasets.
 *
 * - Times are ISO-8601 UTC strings: they sort as text and read in a dump.
 * - Typed arrays are little-endian BLOBs (see `blobs.ts`), never JSON numbers:
 *   a 10,000-point latent scatter is 80 kB as float32 and ~400 kB as JSON.
 * - Everything a run owns references it `ON DELETE CASCADE`, so deleting the
 *   run row deletes the rest (foreign keys are switched on per connection).
 * - epoch_metrics is `WITHOUT ROWID` with the natural key as primary key:
 *   rows are stored in (run, epoch) order, the order every reader wants, with
 *   no separate index. Tables of large rows (BLOBs) keep their rowid, as
 *   SQLite advises.
 */
export const migration: Migration = {
  version: 1,
  name: 'initial-schema',
  up(db) {
    db.exec(`
      CREATE TABLE runs (
        id               TEXT PRIMARY KEY,
        name             TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN
                           ('queued', 'running', 'completed', 'stopped', 'failed', 'diverged', 'interrupted')),
        status_message   TEXT,
        created_at       TEXT NOT NULL,
        started_at       TEXT,
        finished_at      TEXT,
        -- The whole hyperparameter object; the columns below copy the ones
        -- that lists filter and sort on, so no query has to parse JSON.
        hyperparams      TEXT NOT NULL,
        dataset          TEXT NOT NULL,
        dataset_hash     TEXT NOT NULL,
        arch             TEXT NOT NULL,
        latent_dim       INTEGER NOT NULL,
        epochs           INTEGER NOT NULL,
        batch_size       INTEGER NOT NULL,
        learning_rate    REAL NOT NULL,
        beta             REAL NOT NULL,
        seed             INTEGER NOT NULL,
        backend          TEXT,
        device           TEXT,
        app_version      TEXT NOT NULL,
        notes            TEXT NOT NULL DEFAULT '',
        -- Which process owns a queued or running run, so that a process
        -- opening the database marks only the runs of dead processes interrupted.
        owner_pid        INTEGER,
        owner_host       TEXT,
        owner_token      TEXT,
        -- Copied from the last epoch_metrics row in the same transaction that
        -- writes it: listing 1,000 runs must not aggregate 100,000 metric rows.
        epochs_done      INTEGER NOT NULL DEFAULT 0,
        last_test_loss   REAL,
        last_test_recon  REAL,
        last_test_kl     REAL
      );
      CREATE INDEX runs_by_created ON runs (created_at);

      CREATE TABLE epoch_metrics (
        run_id              TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch               INTEGER NOT NULL,
        -- Nullable: better-sqlite3 binds NaN as NULL, and a diverging run reports NaN.
        train_loss          REAL,
        train_recon         REAL,
        train_kl            REAL,
        test_loss           REAL,
        test_recon          REAL,
        test_kl             REAL,
        beta                REAL NOT NULL,
        seconds             REAL NOT NULL,
        samples_per_second  REAL NOT NULL,
        PRIMARY KEY (run_id, epoch)
      ) WITHOUT ROWID;

      -- Per-batch losses in chunks (see batch-chunks.ts): one row per flushed
      -- run of consecutive batches of one epoch, columns as typed-array BLOBs.
      -- 93,800 batches of a 100-epoch run are ~100 rows, not 93,800.
      CREATE TABLE batch_metrics (
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        -- 1-based step counted over the whole run (not within the epoch) of the chunk's first batch.
        first_step  INTEGER NOT NULL,
        epoch       INTEGER NOT NULL,
        count       INTEGER NOT NULL,
        steps       BLOB NOT NULL,  -- int32 × count
        loss        BLOB NOT NULL,  -- float32 × count
        recon       BLOB NOT NULL,
        kl          BLOB NOT NULL,
        UNIQUE (run_id, first_step)
      );

      -- Rowid table (not WITHOUT ROWID): rows are hundreds of kB, and SQLite
      -- advises WITHOUT ROWID only for small rows.
      CREATE TABLE snapshots (
        run_id            TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch             INTEGER NOT NULL,
        image_height      INTEGER NOT NULL,
        image_width       INTEGER NOT NULL,
        image_channels    INTEGER NOT NULL,
        gallery_indices   BLOB NOT NULL,  -- int32
        gallery_original  BLOB NOT NULL,  -- uint8 images
        gallery_mean      BLOB NOT NULL,
        gallery_sampled   BLOB NOT NULL,
        latent_count      INTEGER NOT NULL,
        latent_dim        INTEGER NOT NULL,
        z_mu              BLOB NOT NULL,  -- float32, count × latentDim
        z_log_var         BLOB NOT NULL,
        labels            BLOB NOT NULL,  -- uint8
        manifold_n        INTEGER NOT NULL,
        manifold_range    REAL NOT NULL,
        manifold_dim_x    INTEGER NOT NULL,
        manifold_dim_y    INTEGER NOT NULL,
        manifold_images   BLOB NOT NULL,
        prior_count       INTEGER NOT NULL,
        prior_images      BLOB NOT NULL,
        kl_per_dim        BLOB NOT NULL,  -- float64
        UNIQUE (run_id, epoch)
      );

      -- Only the latest full checkpoint per run is kept (weights + optimizer
      -- state, megabytes): resuming needs nothing older.
      CREATE TABLE checkpoints (
        run_id      TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        epoch       INTEGER NOT NULL,
        data        BLOB NOT NULL,  -- tensor-codec bundle
        created_at  TEXT NOT NULL
      );

      -- Decoder weights of every epoch, so that any epoch can be decoded later.
      CREATE TABLE decoder_weights (
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch   INTEGER NOT NULL,
        data    BLOB NOT NULL,  -- tensor-codec bundle
        UNIQUE (run_id, epoch)
      );

      CREATE TABLE datasets (
        name         TEXT PRIMARY KEY,
        source       TEXT NOT NULL CHECK (source IN ('bundled', 'idx', 'folder')),
        hash         TEXT NOT NULL,
        train_count  INTEGER NOT NULL,
        test_count   INTEGER NOT NULL,
        height       INTEGER NOT NULL,
        width        INTEGER NOT NULL,
        channels     INTEGER NOT NULL CHECK (channels IN (1, 3)),
        labels       TEXT NOT NULL,  -- JSON array of label names
        created_at   TEXT NOT NULL
      );
    `);
  },
};
