import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliFailure, type CliIo } from '../../../src-main/commands/common';
import { runsCommand } from '../../../src-main/commands/runs';
import { createCore } from '../../../src-main/core/core';
import { migrate } from '../../../src-main/store/migrate';
import { latestVersion, openStore, StoreError, type RunStore } from '../../../src-main/store';
import { hyperparams, tempDir } from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'runs.db');
});
afterEach(() => tmp.cleanup());

function caught(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

/** Every file of a folder with its bytes, to show that nothing was renamed, created or written. */
function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );
}

/** Creates runs named `names` in a store at `path`, closed cleanly (no -wal or -shm left). */
function seed(path: string, names: string[]): void {
  const store = openStore({ path, appVersion: '0.1.0' });
  for (const name of names) store.createRun({ hyperparams: hyperparams(), datasetHash: 'h', name });
  store.close();
}

/**
 * The files a crash leaves: the runs are committed in the -wal only (never
 * checkpointed into the database file), and there is no -shm.
 */
function seedCrashed(path: string, names: string[]): void {
  const work = join(tmp.dir, 'work');
  mkdirSync(work, { recursive: true });
  const store = openStore({ path: join(work, 'runs.db'), appVersion: '0.1.0' });
  for (const name of names) store.createRun({ hyperparams: hyperparams(), datasetHash: 'h', name });
  copyFileSync(join(work, 'runs.db'), path);
  copyFileSync(join(work, 'runs.db-wal'), `${path}-wal`);
  store.close();
  rmSync(work, { recursive: true });
}

function io(): CliIo & { out: string; err: string } {
  const streams = {
    out: '',
    err: '',
    stdout: (text: string) => void (streams.out += text),
    stderr: (text: string) => void (streams.err += text),
  };
  return streams;
}

async function cliFailure(run: () => Promise<number>): Promise<CliFailure> {
  try {
    await run();
  } catch (error) {
    if (error instanceof CliFailure) return error;
    throw error;
  }
  throw new Error('expected a CliFailure');
}

describe('read-only opens never move, create or change the database', () => {
  it('a file that is not SQLite fails with io_error and stays where it is', () => {
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(10));
    writeFileSync(`${file}-wal`, 'stray wal');
    const before = snapshotDir(tmp.dir);
    const error = caught(() => openStore({ path: file, appVersion: '0.1.0', readonly: true }));
    expect(error.code).toBe('io_error');
    expect(error.message).toBe(
      `Could not read the database ${file}: it is not a SQLite database. Nothing was changed; name the right ` +
        'file with --db, or start VAE Studio (the app, serve or train) to move it aside and begin a new one.',
    );
    expect(snapshotDir(tmp.dir)).toEqual(before);
  });

  it('a damaged database fails with io_error and keeps its bytes and name', () => {
    seed(file, ['kept']);
    const bytes = readFileSync(file);
    bytes.fill(0xab, 100, 4096);
    writeFileSync(file, bytes);
    const error = caught(() => openStore({ path: file, appVersion: '0.1.0', readonly: true }));
    expect(error.code).toBe('io_error');
    expect(error.message).toMatch(
      /^Could not read the database .*runs\.db: the database file is damaged \(SQLITE_CORRUPT.*\)\. Nothing was changed; start VAE Studio/,
    );
    // SQLite may add its empty -wal and -shm; nothing is renamed.
    expect(readdirSync(tmp.dir).filter((f) => !['runs.db-wal', 'runs.db-shm'].includes(f))).toEqual([
      'runs.db',
    ]);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('a missing file reads as an empty store and is not created', () => {
    const store = openStore({ path: file, appVersion: '0.1.0', readonly: true });
    expect(store.notices).toEqual([]);
    expect(store.listRuns()).toEqual([]);
    store.close();
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  /** A store file with one run left `running` by a process that has ended. */
  function deadProcessRun(): string {
    const first = openStore({ path: file, appVersion: '0.1.0' });
    const run = first.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    first.close();
    const raw = new Database(file);
    raw
      .prepare('UPDATE runs SET owner_pid = ? WHERE id = ?')
      .run(spawnSync(process.execPath, ['-e', '']).pid, run.id);
    raw.close();
    return run.id;
  }

  it('marks the runs of a dead process interrupted, as a writer would, and moves nothing', () => {
    const runId = deadProcessRun();
    const store: RunStore = openStore({ path: file, appVersion: '0.1.0', readonly: true });
    expect(store.notices).toEqual([
      {
        level: 'info',
        message:
          '1 run was left unfinished by a process that ended; marked interrupted (resume continues them).',
      },
    ]);
    expect(store.getRunSummary(runId).status).toBe('interrupted');
    store.close();
    expect(readdirSync(tmp.dir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))).toEqual([
      'runs.db',
    ]);
  });

  it('only says so when the file cannot be written to mark them (another process holds the write lock)', () => {
    const runId = deadProcessRun();
    const holder = new Database(file);
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const store: RunStore = openStore({
        path: file,
        appVersion: '0.1.0',
        readonly: true,
        busyTimeoutMs: 50,
      });
      expect(store.notices).toEqual([
        {
          level: 'warning',
          message:
            '1 run shows as running or queued, but the process that owned it has ended. The database could ' +
            'not be written to mark it interrupted; VAE Studio (the app, serve or train) or ' +
            '`vae-studio runs resume` will, once it can write.',
        },
      ]);
      expect(store.getRunSummary(runId).status).toBe('running');
      store.close();
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    // The app (a writer) still marks it.
    const writer = openStore({ path: file, appVersion: '0.1.0' });
    expect(writer.getRunSummary(runId).status).toBe('interrupted');
    writer.close();
  });

  it('does not upgrade an older schema: unavailable, saying what to do, and the file unchanged', () => {
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(old, { target: 1 });
    old.close();
    const bytes = readFileSync(file);
    const error = caught(() => openStore({ path: file, appVersion: '0.1.0', readonly: true }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe(
      `The database ${file} was written by an older version of VAE Studio (schema 1; this version uses ` +
        `${latestVersion}). Commands that only read do not upgrade it; start VAE Studio (the app, serve or ` +
        'train) once to upgrade it, then try again.',
    );
    expect(readFileSync(file).equals(bytes)).toBe(true);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.close();
  });

  it('`vae-studio runs list` on a file that is not SQLite says so in one line and moves nothing', async () => {
    writeFileSync(file, 'not a database '.repeat(20));
    const before = snapshotDir(tmp.dir);
    const streams = io();
    const failure = await cliFailure(() =>
      runsCommand(['list', '--data-dir', tmp.dir, '--db', file], streams, 'help'),
    );
    expect(failure.message).toMatch(/^Could not read the database .*: it is not a SQLite database\. Nothing/);
    expect(failure.message).not.toContain('\n');
    expect(streams.out).toBe('');
    expect(snapshotDir(tmp.dir)).toEqual(before);
  });
});

describe('a database written by a newer version, through the core', () => {
  function makeNewer(): string {
    seed(file, ['from the newer app']);
    const raw = new Database(file);
    raw.pragma(`user_version = ${latestVersion + 3}`);
    raw.prepare("UPDATE runs SET app_version = '7.0.0'").run();
    raw.close();
    return (
      `The database ${file} was written by a newer version of VAE Studio (schema ${latestVersion + 3}; ` +
      `its newest run was created by VAE Studio 7.0.0), and VAE Studio 0.1.0 reads schemas up to ` +
      `${latestVersion}. Update VAE Studio to open it; the file was left as it is.`
    );
  }

  it('the core opens nothing: app:info carries the error notice, every other command answers unavailable', async () => {
    const message = makeNewer();
    const before = snapshotDir(tmp.dir);
    const core = createCore({ dataDir: tmp.dir, dbPath: file, shell: 'in-process', version: '0.1.0' });
    expect(core.unavailable).toEqual({ code: 'unavailable', message });
    expect(core.notices).toEqual([{ level: 'error', message }]);
    const info = await core.dispatch('app:info', {});
    expect(info.ok && info.value).toMatchObject({ notices: [{ level: 'error', message }] });
    for (const [command, arg] of [
      ['runs:list', {}],
      ['runs:get', { runId: 'x' }],
      ['datasets:list', {}],
      ['runs:delete', { runId: 'x' }],
    ] as const) {
      expect(await core.dispatch(command, arg)).toEqual({
        ok: false,
        error: { code: 'unavailable', message },
      });
    }
    expect(() => core.store).toThrow(message);
    await core.close();
    expect(snapshotDir(tmp.dir)).toEqual(before);
  });

  it('`vae-studio runs list` and `runs delete` exit with the message in one line and move nothing', async () => {
    const message = makeNewer();
    const before = snapshotDir(tmp.dir);
    for (const args of [['list'], ['delete', 'some-run']]) {
      const streams = io();
      const failure = await cliFailure(() =>
        runsCommand([...args, '--data-dir', tmp.dir, '--db', file], streams, 'help'),
      );
      expect(failure.message).toBe(message);
      expect(streams.out).toBe('');
    }
    expect(snapshotDir(tmp.dir)).toEqual(before);
  });
});

const jitiCli = createRequire(import.meta.url)
  .resolve('jiti/package.json')
  .replace(/package\.json$/, 'lib/jiti-cli.mjs');
const childScript = join(import.meta.dirname, 'child-store.ts');

interface OpenReport {
  names: string[] | null;
  notices?: string[];
  error: { code: string; message: string } | null;
}

/** Opens the store in a child process (`read`: read-only, `open`: for writing) after `shellPrefix`. */
function openInChild(mode: 'read' | 'open', path: string, shellPrefix: string): Promise<OpenReport> {
  return new Promise((resolve, reject) => {
    const command = `${shellPrefix}exec "${process.execPath}" "${jitiCli}" "${childScript}" ${mode} "${path}"`;
    // jiti's transform cache is a file write: under a file-size limit it would fail before the store opens.
    const child = spawn('bash', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JITI_FS_CACHE: 'false' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as OpenReport);
      } catch {
        reject(new Error(`the child printed no report: ${out} ${err}`));
      }
    });
  });
}

const diskFullMessage =
  /^Could not open the database .*: the disk is full \(or a file-size limit was reached\), so the database's shared-memory index cannot grow; free some space and try again \(SQLITE_IOERR_SHMSIZE: .*\)\.$/;

describe('a full disk: reading still works, writing says why not', () => {
  // RLIMIT_FSIZE makes every write past 16 KiB fail (EFBIG; `trap '' XFSZ` keeps the process alive),
  // so the 32 KiB -shm index cannot grow, exactly as on a full disk, without root or a mount.
  const sizeLimit = "trap '' XFSZ; ulimit -f 16; ";

  for (const state of ['closed cleanly', 'left by a crash (runs in the -wal only, no -shm)'] as const) {
    it(`with a file-size limit: a database ${state} lists its runs read-only; a writer fails with io_error`, async () => {
      const names = ['first', 'second', 'third'];
      if (state === 'closed cleanly') seed(file, names);
      else seedCrashed(file, names);
      expect(existsSync(`${file}-shm`)).toBe(false);

      const read = await openInChild('read', file, sizeLimit);
      expect(read.error).toBeNull();
      expect([...read.names!].sort()).toEqual([...names].sort());
      expect(read.notices).toEqual([
        `The disk holding ${file} is full: its runs were read, but training or any change will fail until some space is freed.`,
      ]);

      const write = await openInChild('open', file, sizeLimit);
      expect(write.names).toBeNull();
      expect(write.error!.code).toBe('io_error');
      expect(write.error!.message).toMatch(diskFullMessage);

      // Nothing was lost: without the limit, every run is there and the file is sound.
      const store = openStore({ path: file, appVersion: '0.1.0', readonly: true });
      expect(
        store
          .listRuns()
          .map((r) => r.name)
          .sort(),
      ).toEqual([...names].sort());
      store.close();
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
    }, 30_000);
  }

  // A real full file system: a 512 KiB tmpfs filled to the last block. Mounting needs root (CAP_SYS_ADMIN);
  // where it is refused (CI runners, containers) the file-size limit above covers the same code path.
  const mountPoint = join(tempDir('vae-full-disk-').dir);
  const mounted =
    process.platform === 'linux' &&
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]).status === 0;
  afterEach(() => {
    if (mounted) for (const f of readdirSync(mountPoint)) rmSync(join(mountPoint, f), { force: true });
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it.skipIf(!mounted)(
    'on a full tmpfs (ENOSPC): `runs list` reads a crashed database; `runs delete` says the disk is full',
    async () => {
      const names = ['alpha', 'beta'];
      const onDisk = join(mountPoint, 'runs.db');
      seedCrashed(onDisk, names);
      let filler = 0;
      try {
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
      } catch (error) {
        filler = error instanceof Error && 'code' in error && error.code === 'ENOSPC' ? 1 : 0;
      }
      expect(filler).toBe(1);

      const listed = io();
      expect(
        await runsCommand(['list', '--json', '--data-dir', tmp.dir, '--db', onDisk], listed, 'help'),
      ).toBe(0);
      const runs = JSON.parse(listed.out) as { name: string }[];
      expect(runs.map((r) => r.name).sort()).toEqual([...names].sort());
      expect(listed.err).toBe(
        `warning: The disk holding ${onDisk} is full: its runs were read, but training or any change will fail until some space is freed.\n` +
          // Its runs were queued by a store of this process that is closed now.
          'warning: 2 runs show as running or queued, but the process that owned them has ended. The database could ' +
          'not be written to mark them interrupted; VAE Studio (the app, serve or train) or ' +
          '`vae-studio runs resume` will, once it can write.\n',
      );

      const deleted = io();
      const failure = await cliFailure(() =>
        runsCommand(['delete', 'x', '--data-dir', tmp.dir, '--db', onDisk], deleted, 'help'),
      );
      expect(failure.message).toMatch(diskFullMessage);
    },
  );
});
