import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../src-main/store/migrate';
import { latestVersion, migrations } from '../../../src-main/store/migrations';
import { openStore } from '../../../src-main/store';
import { hyperparams, tempDir } from './fixtures';

/**
 * One test per migration: each upgrades a database of the previous version
 * that holds data, then checks the data survived and the change is there.
 */

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'runs.db');
});
afterEach(() => tmp.cleanup());

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

function indexes(db: Database.Database): string[] {
  return db
    .prepare<[], string>(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all();
}

/** A run row as version 1 of the schema stores it. */
function insertV1Run(db: Database.Database, id: string): void {
  const hp = hyperparams();
  db.prepare(
    `INSERT INTO runs (id, name, status, created_at, hyperparams, dataset, dataset_hash, arch, latent_dim, epochs,
       batch_size, learning_rate, beta, seed, app_version, notes, epochs_done, last_test_loss)
     VALUES (?, ?, 'completed', '2025-01-01T00:00:00.000Z', ?, 'mnist', 'h1', 'mlp', 2, 10, 64, 0.001, 1, 42,
       '0.0.1', 'old notes', 1, 150.5)`,
  ).run(id, `run ${id}`, JSON.stringify(hp));
  db.prepare(
    `INSERT INTO epoch_metrics (run_id, epoch, train_loss, train_recon, train_kl, test_loss, test_recon, test_kl,
       beta, seconds, samples_per_second) VALUES (?, 1, 160, 150, 10, 150.5, 141, 9.5, 1, 16, 3700)`,
  ).run(id);
  const f32 = (v: number) => Buffer.from(Float32Array.of(v).buffer);
  db.prepare(
    'INSERT INTO batch_metrics (run_id, first_step, epoch, count, steps, loss, recon, kl) VALUES (?, 1, 1, 1, ?, ?, ?, ?)',
  ).run(id, Buffer.from(Int32Array.of(1).buffer), f32(500), f32(490), f32(10));
}

describe('migrations', () => {
  it('are numbered 1..n in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestVersion).toBe(migrations.length);
    expect(latestVersion).toBeGreaterThanOrEqual(2);
  });

  it('0001-initial-schema: creates every table on an empty database and records version 1', () => {
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db, { target: 1 })).toEqual([1]);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(
      [
        'batch_metrics',
        'checkpoints',
        'datasets',
        'decoder_weights',
        'epoch_metrics',
        'runs',
        'snapshots',
      ].sort(),
    );
    insertV1Run(db, 'a');
    // Cascade is part of the schema: deleting the run removes its metrics.
    db.prepare("DELETE FROM runs WHERE id = 'a'").run();
    expect(db.prepare('SELECT count(*) FROM epoch_metrics').pluck().get()).toBe(0);
    db.close();
  });

  it('0002-run-tags-and-list-indexes: upgrades a version-1 database holding runs', () => {
    const db = new Database(file);
    migrate(db, { target: 1 });
    insertV1Run(db, 'a');
    insertV1Run(db, 'b');
    expect(indexes(db)).not.toContain('runs_by_status');
    db.close();

    // Opening with the store applies 0002 and reads the old rows through the new schema.
    const store = openStore({ path: file, appVersion: '0.1.0' });
    const runs = store.listRuns({ sort: 'name' });
    expect(runs.map((r) => [r.id, r.name, r.notes, r.tags, r.epochsDone, r.lastTest?.loss])).toEqual([
      ['a', 'run a', 'old notes', [], 1, 150.5],
      ['b', 'run b', 'old notes', [], 1, 150.5],
    ]);
    expect(store.getRun('a').batches).toEqual([[1, 500, 490, 10]]);
    store.updateRun({ runId: 'a', tags: ['baseline'] });
    expect(store.listRuns({ text: 'baseline' }).map((r) => r.id)).toEqual(['a']);
    store.close();

    const after = new Database(file, { readonly: true });
    // The store brings the file to the newest schema, 0002 included.
    expect(schemaVersion(after)).toBe(latestVersion);
    expect(indexes(after)).toEqual(
      expect.arrayContaining(['runs_by_created', 'runs_by_dataset', 'runs_by_status', 'runs_by_test_loss']),
    );
    // The list's status filter is answered from the new index, not a table scan.
    const plan = after
      .prepare<[], { detail: string }>("EXPLAIN QUERY PLAN SELECT id FROM runs WHERE status = 'running'")
      .all()
      .map((r) => r.detail)
      .join(' ');
    expect(plan).toMatch(/runs_by_status/);
    after.close();
  });

  it('0003-sweeps: adds the sweep queue to a version-2 database holding runs', () => {
    const sweepsVersion = migrations.find((m) => m.name === 'sweeps')!.version;
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, { target: sweepsVersion - 1 });
    insertV1Run(db, 'a');
    expect(tables(db)).not.toContain('sweeps');
    expect(migrate(db, { target: sweepsVersion })).toEqual([sweepsVersion]);
    expect(tables(db)).toEqual(expect.arrayContaining(['sweeps', 'sweep_jobs']));
    expect(indexes(db)).toEqual(expect.arrayContaining(['sweep_jobs_by_sweep', 'sweep_jobs_by_run']));
    // Old runs are untouched; a job can point at one, and forgets it when the run is deleted.
    db.prepare(
      `INSERT INTO sweeps (id, name, status, created_at, spec) VALUES ('s', 'sweep', 'queued', '2026-01-01', '{}')`,
    ).run();
    db.prepare(
      `INSERT INTO sweep_jobs (sweep_id, position, status, hyperparams, swept_values, run_id)
       VALUES ('s', 0, 'completed', '{}', '{"beta":1}', 'a')`,
    ).run();
    expect(() =>
      db
        .prepare(
          `INSERT INTO sweep_jobs (sweep_id, position, status, hyperparams, swept_values) VALUES ('s', 1, 'lost', '{}', '{}')`,
        )
        .run(),
    ).toThrow(/CHECK constraint/);
    db.prepare("DELETE FROM runs WHERE id = 'a'").run();
    expect(db.prepare('SELECT run_id FROM sweep_jobs').pluck().get()).toBeNull();
    db.prepare("DELETE FROM sweeps WHERE id = 's'").run();
    expect(db.prepare('SELECT count(*) FROM sweep_jobs').pluck().get()).toBe(0);
    db.close();
  });

  it('0004-retention: upgrades a version-3 database; old runs keep every epoch, new ones take the default', () => {
    const db = new Database(file);
    migrate(db, { target: 3 });
    insertV1Run(db, 'a');
    db.prepare("INSERT INTO decoder_weights (run_id, epoch, data) VALUES ('a', 1, x'00')").run();
    db.close();

    const store = openStore({ path: file, appVersion: '0.1.0' });
    expect(store.getRun('a').keepCheckpoints).toBeNull();
    expect(store.getRun('a').epochs.map((e) => e.epoch)).toEqual([1]);
    expect(store.getDefaultKeepCheckpoints()).toBeNull();
    store.setDefaultKeepCheckpoints(5);
    const fresh = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    expect(store.getRun(fresh.id).keepCheckpoints).toBe(5);
    store.close();

    const after = new Database(file, { readonly: true });
    expect(schemaVersion(after)).toBeGreaterThanOrEqual(4);
    expect(tables(after)).toContain('settings');
    expect(
      after.prepare("SELECT value FROM settings WHERE key = 'retention.keepCheckpoints'").pluck().get(),
    ).toBe('5');
    // The schema itself refuses a retention below 1.
    after.close();
    const raw = new Database(file);
    expect(() => raw.prepare("UPDATE runs SET keep_checkpoints = 0 WHERE id = 'a'").run()).toThrow(/CHECK/);
    raw.close();
  });

  it('0005-runs-by-name: upgrades a version-4 database; the list sorted by name reads the index', () => {
    const db = new Database(file);
    migrate(db, { target: 4 });
    insertV1Run(db, 'b');
    insertV1Run(db, 'a');
    db.close();

    const store = openStore({ path: file, appVersion: '0.1.0' });
    expect(store.listRuns({ sort: 'name' }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(store.listRuns({ sort: 'name', descending: true }).map((r) => r.id)).toEqual(['b', 'a']);
    store.close();

    const after = new Database(file, { readonly: true });
    expect(schemaVersion(after)).toBeGreaterThanOrEqual(5);
    expect(indexes(after)).toContain('runs_by_name');
    // Both directions walk the index: no sort of every run for each page.
    for (const dir of ['ASC', 'DESC']) {
      const plan = after
        .prepare<[], { detail: string }>(
          `EXPLAIN QUERY PLAN SELECT id FROM runs ORDER BY name COLLATE NOCASE ${dir}, created_at ${dir} LIMIT 10 OFFSET 5`,
        )
        .all()
        .map((row) => row.detail);
      expect(plan.join(' | ')).toMatch(/USING INDEX runs_by_name/);
      expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
    }
    after.close();
  });

  it('rolls a failing migration back whole and leaves the version unchanged', () => {
    const db = new Database(file);
    migrate(db, { target: 1 });
    const broken = [
      ...migrations.slice(0, 1),
      {
        version: 2,
        name: 'broken',
        up(conn: Database.Database) {
          conn.exec('CREATE TABLE half_done (x)');
          conn.exec('SELECT * FROM no_such_table');
        },
      },
    ];
    expect(() => migrate(db, { migrations: broken })).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).not.toContain('half_done');
    db.close();
  });

  it('is idempotent: a second run applies nothing', () => {
    const db = new Database(file);
    expect(migrate(db)).toEqual(migrations.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    db.close();
  });
});
