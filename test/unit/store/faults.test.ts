import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latestVersion, openStore, StoreError, type RunStore } from '../../../src-main/store';
import { checkpoint, floats, hyperparams, metrics, snapshot, tempDir } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let file: string;
const open: RunStore[] = [];

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'runs.db');
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  tmp.cleanup();
});

function openTracked(options: Partial<Parameters<typeof openStore>[0]> = {}): RunStore {
  const store = openStore({ path: file, appVersion: '0.1.0', ...options });
  open.push(store);
  return store;
}

function caught(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

function asideFiles(): string[] {
  return readdirSync(tmp.dir)
    .filter((f) => f.startsWith('runs.db.'))
    .sort();
}

function seedRun(store: RunStore, epochs = 1): string {
  const run = store.createRun({
    hyperparams: hyperparams(),
    datasetHash: 'h',
    name: 'kept',
    status: 'running',
  });
  for (let e = 1; e <= epochs; e++) {
    store.appendBatchMetrics(run.id, [{ step: e, epoch: e, loss: 10, recon: 9, kl: 1 }]);
    store.recordEpoch({
      runId: run.id,
      metrics: metrics(e),
      snapshot: snapshot(e),
      checkpoint: checkpoint(e),
    });
  }
  return run.id;
}

const jitiCli = createRequire(import.meta.url)
  .resolve('jiti/package.json')
  .replace(/package\.json$/, 'lib/jiti-cli.mjs');
const childScript = join(import.meta.dirname, 'child-store.ts');

function runChild(
  args: string[],
  shellPrefix = '',
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const command = `${shellPrefix}exec "${process.execPath}" "${jitiCli}" "${childScript}" ${args.map((a) => `"${a}"`).join(' ')}`;
    // jiti's transform cache is a file write: under a file-size limit it would fail before the store opens.
    const child = spawn('bash', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JITI_FS_CACHE: 'false' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('openStore: unusable files are moved aside, never deleted', () => {
  it('moves a file that is not SQLite (and its -wal) aside and starts fresh', () => {
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(10));
    writeFileSync(`${file}-wal`, 'stray wal');
    const store = openTracked({ now: () => new Date('2025-03-01T10:00:00.000Z') });
    expect(asideFiles()).toEqual([
      'runs.db.not-sqlite-2025-03-01T10-00-00-000Z',
      'runs.db.not-sqlite-2025-03-01T10-00-00-000Z-wal',
    ]);
    const [moved] = asideFiles();
    expect(readFileSync(join(tmp.dir, moved!), 'utf8')).toMatch(/^these are my notes/);
    expect(store.notices).toHaveLength(1);
    expect(store.notices[0]!.level).toBe('warning');
    expect(store.notices[0]!.message).toContain('not a SQLite database');
    expect(store.notices[0]!.message).toContain(join(tmp.dir, moved!));
    // The fresh database works.
    expect(seedRun(store)).toBeTruthy();
    expect(store.listRuns()).toHaveLength(1);
  });

  it('moves a damaged database aside and keeps its bytes', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    seedRun(first);
    first.close();
    // Overwrite page 1 after the 100-byte header: the schema table is unreadable.
    const bytes = readFileSync(file);
    bytes.fill(0xab, 100, 4096);
    writeFileSync(file, bytes);
    const store = openTracked();
    const moved = asideFiles();
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(/^runs\.db\.corrupt-/);
    expect(readFileSync(join(tmp.dir, moved[0]!)).equals(bytes)).toBe(true);
    expect(store.notices[0]!.message).toMatch(/damaged.*moved to .*runs\.db\.corrupt-/);
    expect(store.listRuns()).toEqual([]);
  });

  it('leaves a database written by a newer version where it is, while that version has it open', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const runId = seedRun(first);
    first.close();
    // The newer app: its schema, its newest run, and its connection still open with a -wal and -shm.
    const newer = new Database(file);
    newer.pragma('journal_mode = WAL');
    newer.pragma('wal_autocheckpoint = 0');
    newer.pragma(`user_version = ${latestVersion + 5}`);
    newer.prepare("UPDATE runs SET app_version = '9.1.0' WHERE id = ?").run(runId);
    const before = ['runs.db', 'runs.db-shm', 'runs.db-wal'].map((f) => readFileSync(join(tmp.dir, f)));
    for (const readonly of [false, true]) {
      const error = caught(() => openStore({ path: file, appVersion: '0.1.0', readonly }));
      expect(error.code).toBe('unavailable');
      expect(error.message).toBe(
        `The database ${file} was written by a newer version of VAE Studio (schema ${latestVersion + 5}; ` +
          `its newest run was created by VAE Studio 9.1.0), and VAE Studio 0.1.0 reads schemas up to ` +
          `${latestVersion}. Update VAE Studio to open it; the file was left as it is.`,
      );
    }
    expect(readdirSync(tmp.dir).sort()).toEqual(['runs.db', 'runs.db-shm', 'runs.db-wal']);
    expect(readFileSync(file).equals(before[0]!)).toBe(true);
    expect(readFileSync(`${file}-wal`).equals(before[2]!)).toBe(true);
    // The newer app goes on writing to the same file, and its data is all there.
    newer.prepare("UPDATE runs SET name = 'renamed by the newer app' WHERE id = ?").run(runId);
    expect(newer.prepare('SELECT name FROM runs').pluck().all()).toEqual(['renamed by the newer app']);
    newer.close();
  });

  it('names only the schema when the newer file has no readable run', () => {
    new Database(file).pragma(`user_version = ${latestVersion + 1}`);
    const error = caught(() => openStore({ path: file, appVersion: '0.1.0', readonly: true }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain(`(schema ${latestVersion + 1}), and VAE Studio 0.1.0`);
    expect(readdirSync(tmp.dir)).toEqual(['runs.db']);
  });

  it('fails with io_error naming the path when the folder cannot be created', () => {
    writeFileSync(join(tmp.dir, 'a-file'), 'x');
    const error = caught(() => openStore({ path: join(tmp.dir, 'a-file', 'runs.db'), appVersion: '0.1.0' }));
    expect(error.code).toBe('io_error');
    expect(error.message).toContain(join(tmp.dir, 'a-file', 'runs.db'));
  });
});

describe('write failures: clear io_error, nothing stored is lost', () => {
  it('a full database (SQLITE_FULL) fails the epoch whole and keeps earlier epochs and buffered rows', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const runId = seedRun(first, 2);
    first.close();
    // Allow only a few more pages: the next 1 MB checkpoint cannot fit, like a full disk.
    const store = openTracked({
      configure: (db) => {
        const pages = db.pragma('page_count', { simple: true }) as number;
        db.pragma(`max_page_count = ${pages + 8}`);
      },
    });
    store.appendBatchMetrics(runId, [{ step: 3, epoch: 3, loss: 1, recon: 1, kl: 0 }]);
    const big = checkpoint(3);
    big.weights.push({ name: 'big', shape: [262_144], data: floats(262_144) });
    const error = caught(() =>
      store.recordEpoch({ runId, metrics: metrics(3), snapshot: snapshot(3), checkpoint: big }),
    );
    expect(error.code).toBe('io_error');
    expect(error.message).toMatch(/save epoch 3 .*disk is full.*SQLITE_FULL/);
    expect(store.pendingBatchRows).toBe(1); // kept for a retry, not dropped
    const detail = store.getRun(runId);
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(detail.batches.map((b) => b[0])).toEqual([1, 2]);
    expect(detail.checkpointEpoch).toBe(2);
    expect(store.getCheckpoint(runId)!.weights).toEqual(checkpoint(2).weights);
  });

  it('a read-only database opens for reading, fails writes with io_error, and says why runs stay running', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const runId = seedRun(first);
    first.setStatus({ runId, status: 'completed' });
    const orphan = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    first.close();
    const raw = new Database(file);
    raw
      .prepare('UPDATE runs SET owner_pid = ? WHERE id = ?')
      .run(spawnSync(process.execPath, ['-e', '']).pid, orphan.id);
    raw.close();
    const store = openTracked({ configure: (db) => db.pragma('query_only = ON') });
    expect(store.notices).toEqual([
      {
        level: 'warning',
        message: expect.stringMatching(/could not be marked interrupted.*read-only/) as unknown,
      },
    ]);
    expect(store.getRunSummary(orphan.id).status).toBe('running');
    const error = caught(() => store.updateRun({ runId, name: 'new name' }));
    expect(error.code).toBe('io_error');
    expect(error.message).toMatch(/read-only.*SQLITE_READONLY/);
    expect(store.getRunSummary(runId).name).toBe('kept');
  });

  it('a real file-size limit (RLIMIT_FSIZE) in a child process: io_error, and every epoch reported stored is intact', async () => {
    // `trap '' XFSZ` makes writes past the limit fail with EFBIG instead of killing the process.
    const { out, err } = await runChild(['fill', file], "trap '' XFSZ; ulimit -f 4096; ");
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as {
      runId: string;
      stored: number;
      error: { code: string; message: string } | null;
    } | null;
    expect(result, err).not.toBeNull();
    expect(result!.error?.code).toBe('io_error');
    expect(result!.error?.message).toMatch(/save epoch \d+/);
    expect(result!.stored).toBeGreaterThan(0);
    const store = openTracked();
    const detail = store.getRun(result!.runId);
    expect(detail.epochs.map((e) => e.epoch)).toEqual(
      Array.from({ length: result!.stored }, (_, i) => i + 1),
    );
    expect(detail.checkpointEpoch).toBe(result!.stored);
    expect(store.getCheckpoint(result!.runId)!.epoch).toBe(result!.stored);
    // The child died with its run running: the next open marked it interrupted.
    expect(detail.status).toBe('interrupted');
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  }, 30_000);

  it('calls after close fail with io_error', () => {
    const store = openStore({ path: file, appVersion: '0.1.0' });
    store.close();
    store.close();
    expect(caught(() => store.listRuns()).code).toBe('io_error');
  });
});

describe('two processes on one database', () => {
  it('a second connection holding the write lock makes a write wait, then fail with conflict after the busy timeout', () => {
    const store = openTracked({ busyTimeoutMs: 150 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const error = caught(() => store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' }));
    const waited = performance.now() - started;
    other.exec('COMMIT');
    other.close();
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/another VAE Studio process/);
    expect(waited).toBeGreaterThanOrEqual(140);
    // Once the lock is gone the same write goes through.
    expect(store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' }).status).toBe('queued');
  });

  it('a child process holding the write lock: the store waits for it and succeeds', async () => {
    const store = openTracked();
    const script = `
      const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)});
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT INTO datasets VALUES ('child', 'idx', 'h', 1, 1, 28, 28, 1, '[]', 'now')").run();
      process.stdout.write('locked\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
      db.exec('COMMIT');
      db.close();`;
    const child: ChildProcess = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const started = performance.now();
    const run = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    const waited = performance.now() - started;
    await new Promise((resolve) => child.once('close', resolve));
    expect(run.status).toBe('queued');
    expect(waited).toBeGreaterThan(300);
    expect(store.getDataset('child').name).toBe('child');
  });

  it('the app and the CLI write at the same time: both succeed', async () => {
    const store = openTracked();
    const child = runChild(['write', file, '30']);
    const mine: string[] = [];
    // Write while the child writes; yield between writes so the child's output is read.
    const deadline = Date.now() + 20_000;
    let done = false;
    void child.then(() => (done = true));
    while (!done && Date.now() < deadline) {
      mine.push(seedRun(store));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { out, err } = await child;
    const theirs = (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { ids?: string[] }).ids;
    expect(theirs, err).toHaveLength(30);
    const all = store.listRuns().map((r) => r.id);
    expect(all.sort()).toEqual([...mine, ...theirs!].sort());
    // The child's runs were not marked interrupted by our store, nor ours by the child.
    expect(store.listRuns({ status: ['interrupted'] })).toEqual([]);
  }, 30_000);
});

describe('markInterrupted', () => {
  function forceOwner(runId: string, owner: { pid: number; host?: string }) {
    const raw = new Database(file);
    raw
      .prepare(
        'UPDATE runs SET owner_pid = ?, owner_host = coalesce(?, owner_host), owner_token = NULL WHERE id = ?',
      )
      .run(owner.pid, owner.host ?? null, runId);
    raw.close();
  }

  it('marks running and queued runs of a dead process interrupted, and says so', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const running = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    const queued = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h' });
    const done = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    first.setStatus({ runId: done.id, status: 'completed' });
    first.close();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    forceOwner(running.id, { pid: deadPid });
    forceOwner(queued.id, { pid: deadPid });

    const store = openTracked();
    const byId = new Map(store.listRuns().map((r) => [r.id, r]));
    expect(byId.get(running.id)!.status).toBe('interrupted');
    expect(byId.get(running.id)!.statusMessage).toMatch(/resume continues from the last checkpoint/);
    expect(byId.get(running.id)!.finishedAt).not.toBeNull();
    expect(byId.get(queued.id)!.status).toBe('interrupted');
    expect(byId.get(done.id)!.status).toBe('completed');
    expect(store.notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/^2 runs were left unfinished/),
    ]);
    // An interrupted run can be resumed.
    expect(store.setStatus({ runId: running.id, status: 'running' }).status).toBe('running');
  });

  it('leaves the runs of a live process (another pid) alone', async () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const run = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    first.close();
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      forceOwner(run.id, { pid: alive.pid! });
      expect(openTracked().getRunSummary(run.id).status).toBe('running');
    } finally {
      alive.kill();
      await new Promise((resolve) => alive.once('close', resolve));
    }
    // Now that the owner is gone, the next open marks it.
    expect(openTracked().getRunSummary(run.id).status).toBe('interrupted');
  });

  it('in one process: runs of an open store stay, runs of a closed one are interrupted', () => {
    const a = openStore({ path: file, appVersion: '0.1.0' });
    const run = a.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    const b = openTracked();
    expect(b.getRunSummary(run.id).status).toBe('running');
    a.close();
    expect(openTracked().getRunSummary(run.id).status).toBe('interrupted');
  });

  it('treats an owner on another host as gone (the file was copied)', () => {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const run = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    first.close();
    forceOwner(run.id, { pid: process.pid, host: 'some-other-machine' });
    expect(openTracked().getRunSummary(run.id).status).toBe('interrupted');
  });
});

describe('moved-aside names never collide', () => {
  it('adds a counter when the same second already has a moved file', () => {
    const at = () => new Date('2025-03-01T10:00:00.000Z');
    writeFileSync(file, 'x'.repeat(200));
    openStore({ path: file, appVersion: '0.1.0', now: at }).close();
    writeFileSync(file, 'y'.repeat(200));
    openTracked({ now: at });
    const moved = asideFiles();
    expect(moved).toEqual([
      'runs.db.not-sqlite-2025-03-01T10-00-00-000Z',
      'runs.db.not-sqlite-2025-03-01T10-00-00-000Z-2',
    ]);
    expect(existsSync(file)).toBe(true);
  });
});
