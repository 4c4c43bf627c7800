import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Notice } from '../../shared/contract';
import { activeStatuses, type RunStatus } from '../../shared/run-status';
import { sqlitePrimaryCode, StoreError, toStoreError } from './errors';
import { migrate, schemaVersion } from './migrate';
import { latestVersion } from './migrations';
import { Ownership, type OwnerColumns } from './ownership';
import { RunStore } from './run-store';
import type { OpenStoreOptions } from './types';

/** The first 16 bytes of every SQLite 3 database file. */
const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1');

/** Why a file was moved aside; also the suffix of its new name. */
type AsideReason = 'not-sqlite' | 'corrupt';

class UnusableDatabase extends Error {
  constructor(
    readonly reason: AsideReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Reads the first bytes of a file; an empty or missing file is a new database, not a bad one. */
function looksLikeSqlite(path: string): boolean {
  if (!existsSync(path) || statSync(path).size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    const read = readSync(fd, head, 0, 16, 0);
    return read === 16 && head.equals(sqliteHeader);
  } finally {
    closeSync(fd);
  }
}

/** The app version that created the newest run, the best stamp of who wrote the file; null if unreadable. */
function lastWriter(db: Database.Database): string | null {
  try {
    const row = db
      .prepare<[], string>('SELECT app_version FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1')
      .pluck()
      .get();
    return typeof row === 'string' && row.length > 0 ? row : null;
  } catch {
    // A newer schema may have renamed the table or the column: the schema version still says enough.
    return null;
  }
}

/**
 * Refuses a file whose schema is newer than this build's. Nothing is renamed
 * or written: the newer app may have it open right now, and moving it aside
 * would hide the user's data and split it between two files.
 */
function refuseNewer(db: Database.Database, path: string, appVersion: string): void {
  const version = schemaVersion(db);
  if (version <= latestVersion) return;
  const writer = lastWriter(db);
  throw new StoreError(
    'unavailable',
    `The database ${path} was written by a newer version of VAE Studio (schema ${version}` +
      `${writer ? `; its newest run was created by VAE Studio ${writer}` : ''}), ` +
      `and VAE Studio ${appVersion} reads schemas up to ${latestVersion}. ` +
      'Update VAE Studio to open it; the file was left as it is.',
  );
}

/**
 * Reads page 1 and the schema table: a file that is not a database or is
 * damaged there fails here, not later.
 */
function probe(db: Database.Database): void {
  db.prepare('SELECT count(*) FROM sqlite_schema').get();
}

/**
 * Opens the connection and sets the pragmas every connection needs (they are
 * per connection, not stored in the file, except journal_mode=WAL).
 */
function connect(path: string, options: OpenStoreOptions): Database.Database {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    // Before anything that writes (journal_mode does): a newer version's file is not touched.
    probe(db);
    refuseNewer(db, path, options.appVersion);
    // WAL: readers (the UI, the CLI) never block the writer (training) and vice versa.
    db.pragma('journal_mode = WAL');
    // In WAL, NORMAL syncs at checkpoints, not at every commit: a power cut may lose the last
    // epochs, but the file stays consistent, and per-epoch commits cost no fsync.
    db.pragma('synchronous = NORMAL');
    // Off by default in SQLite; ON DELETE CASCADE depends on it.
    db.pragma('foreign_keys = ON');
    options.configure?.(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function isDamage(error: unknown): boolean {
  const code = sqlitePrimaryCode(error);
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * Renames the database (and its -wal and -shm files, which belong to it and
 * would otherwise be replayed into the new database) to
 * `<path>.<reason>-<timestamp>`, never deleting anything.
 */
function moveAside(path: string, reason: AsideReason, now: Date): string {
  let target = `${path}.${reason}-${stamp(now)}`;
  for (let n = 2; existsSync(target); n++) target = `${path}.${reason}-${stamp(now)}-${n}`;
  renameSync(path, target);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}

const reasonText: Record<AsideReason, string> = {
  'not-sqlite': 'it is not a SQLite database',
  corrupt: 'it is damaged',
};

/** The SQLite codes of a -shm index that could not be created or grown, as on a full disk. */
const shmFailures = ['SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_SHMOPEN', 'SQLITE_IOERR_SHMMAP'];

function isShmFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    shmFailures.includes(error.code)
  );
}

/** Wraps `error` as a {@link StoreError} about opening `path`; file-system and SQLite codes keep their meaning. */
function openError(error: unknown, path: string, what = `open the database ${path}`): StoreError {
  const converted = toStoreError(error, what);
  return converted instanceof StoreError
    ? converted
    : new StoreError('io_error', `Could not ${what}: ${String(error)}`, { cause: error });
}

/**
 * A read-only connection. The first connection to a WAL database rebuilds the
 * -shm index and must grow that file, which fails on a full disk
 * (SQLITE_IOERR_SHMSIZE). Then the file is opened again in exclusive locking
 * mode, which keeps the index in heap memory and needs no -shm at all; that
 * mode takes the file's write lock (so it needs a read-write handle, made
 * query_only here), and it only helps when no other process has the file
 * open — one that does keeps the -shm already grown.
 */
function connectReadonly(path: string, options: OpenStoreOptions, notices: Notice[]): Database.Database {
  const timeout = options.busyTimeoutMs ?? 5000;
  let db = new Database(path, { readonly: true, fileMustExist: true, timeout });
  try {
    probe(db);
  } catch (error) {
    db.close();
    if (!isShmFailure(error)) throw error;
    try {
      db = new Database(path, { fileMustExist: true, timeout });
    } catch {
      throw error;
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('query_only = ON');
      probe(db);
    } catch {
      db.close();
      // The first failure says why (the disk is full), not the fallback's.
      throw error;
    }
    notices.push({
      level: 'warning',
      message:
        `The disk holding ${path} is full: its runs were read, but training or any change will fail ` +
        'until some space is freed.',
    });
  }
  try {
    db.pragma('foreign_keys = ON');
    options.configure?.(db);
    refuseNewer(db, path, options.appVersion);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A database with this build's schema and nothing in it, in memory: what a missing file reads as. */
function emptyDatabase(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/** The connection of a read-only store: see {@link OpenStoreOptions.readonly}. Never renames or creates the file. */
function openReadonlyDb(options: OpenStoreOptions, notices: Notice[]): Database.Database {
  const path = options.path;
  try {
    if (!existsSync(path) || statSync(path).size === 0) return emptyDatabase();
    if (!looksLikeSqlite(path)) {
      throw new StoreError(
        'io_error',
        `Could not read the database ${path}: it is not a SQLite database. Nothing was changed; ` +
          'name the right file with --db, or start VAE Studio (the app, serve or train) to move it aside and begin a new one.',
      );
    }
    const db = connectReadonly(path, options, notices);
    const version = schemaVersion(db);
    if (version === latestVersion) return db;
    // The queries need this build's schema, and upgrading is a write: an older app that shares
    // the file would then refuse it. Leave that to a writer.
    db.close();
    throw new StoreError(
      'unavailable',
      version === 0
        ? `The database ${path} holds no VAE Studio data yet (schema version 0). Commands that only read ` +
            'do not set it up; name the right file with --db, or start VAE Studio (the app, serve or train) with it.'
        : `The database ${path} was written by an older version of VAE Studio (schema ${version}; this ` +
            `version uses ${latestVersion}). Commands that only read do not upgrade it; start VAE Studio ` +
            '(the app, serve or train) once to upgrade it, then try again.',
    );
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const converted = openError(error, path, `read the database ${path}`);
    if (!isDamage(error)) throw converted;
    throw new StoreError(
      'io_error',
      `${converted.message} Nothing was changed; start VAE Studio (the app, serve or train) to move it aside and begin a new one.`,
      { cause: error },
    );
  }
}

/** The connection of a writable store, moving an unusable file aside (never deleting it). */
function openWritableDb(options: OpenStoreOptions, now: () => Date, notices: Notice[]): Database.Database {
  const path = options.path;
  try {
    mkdirSync(dirname(path), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        if (!looksLikeSqlite(path)) throw new UnusableDatabase('not-sqlite', 'it is not a SQLite database');
        const conn = connect(path, options);
        try {
          migrate(conn);
        } catch (error) {
          conn.close();
          throw error;
        }
        return conn;
      } catch (error) {
        const unusable =
          error instanceof UnusableDatabase
            ? error
            : isDamage(error)
              ? new UnusableDatabase('corrupt', String(error))
              : null;
        // A second failure on a fresh file is not the old file's fault: report it.
        if (!unusable || attempt > 0) throw error;
        const aside = moveAside(path, unusable.reason, now());
        notices.push({
          level: 'warning',
          message:
            `The database ${path} could not be used because ${reasonText[unusable.reason]}. ` +
            `It was moved to ${aside} (nothing was deleted) and a new, empty database was created.`,
        });
      }
    }
  } catch (error) {
    throw openError(error, path);
  }
}

/** Queued or running runs whose owning process has ended, counted without marking them. */
function orphanedRunCount(db: Database.Database): number {
  const owner = new Ownership();
  try {
    const active = activeStatuses.map(() => '?').join(', ');
    return db
      .prepare<RunStatus[], OwnerColumns>(
        `SELECT owner_pid, owner_host, owner_token FROM runs WHERE status IN (${active})`,
      )
      .all(...activeStatuses)
      .filter((run) => owner.isOrphaned(run)).length;
  } finally {
    owner.release();
  }
}

/**
 * A reader that finds runs of ended processes still shown as running marks
 * them interrupted, as a writer would, through a short-lived writable
 * connection: a status fix, never a move or a migration (the schema was
 * checked to be this build's). Where the file cannot be written (a read-only
 * folder, a full disk, the write lock held by the exclusive full-disk
 * fallback), it only says so.
 */
function markInterruptedAside(args: {
  options: OpenStoreOptions;
  now: () => Date;
  notices: Notice[];
  stale: number;
}): void {
  const { options, now, notices, stale } = args;
  let marked: string[] = [];
  try {
    const writer = new Database(options.path, {
      fileMustExist: true,
      timeout: options.busyTimeoutMs ?? 5000,
    });
    try {
      writer.pragma('foreign_keys = ON');
      const store = new RunStore({
        db: writer,
        path: options.path,
        appVersion: options.appVersion,
        batchFlushRows: 1,
        now,
        notices: [],
      });
      try {
        marked = store.markInterrupted();
      } finally {
        store.close();
      }
    } finally {
      // Also when the store could not even prepare its statements (the file locked or full).
      if (writer.open) writer.close();
    }
  } catch {
    notices.push({ level: 'warning', message: staleRunsNotice(stale) });
    return;
  }
  if (marked.length > 0) notices.push({ level: 'info', message: interruptedNotice(marked.length) });
}

function interruptedNotice(count: number): string {
  return `${count} run${count === 1 ? ' was' : 's were'} left unfinished by a process that ended; marked interrupted (resume continues them).`;
}

function staleRunsNotice(count: number): string {
  const runs = count === 1 ? '1 run shows' : `${count} runs show`;
  return (
    `${runs} as running or queued, but the process that owned ${count === 1 ? 'it' : 'them'} has ended. ` +
    'The database could not be written to mark ' +
    (count === 1 ? 'it' : 'them') +
    ' interrupted; ' +
    'VAE Studio (the app, serve or train) or `vae-studio runs resume` will, once it can write.'
  );
}

/**
 * Opens (creating when needed) the run store at `options.path`: applies the
 * pragmas (WAL, foreign keys, busy timeout), runs pending migrations, and
 * marks runs of dead processes interrupted.
 *
 * A file that is not SQLite or is damaged is renamed to
 * `<path>.<reason>-<timestamp>` (never deleted), a fresh database is created,
 * and `store.notices` says what happened and where the old file is. With
 * `readonly`, nothing is renamed: such a file fails with `io_error`, and an
 * older schema with `unavailable` (see {@link OpenStoreOptions.readonly}).
 *
 * A file written by a newer version (schema above this build's) is left
 * exactly as it is, with its -wal and -shm, and opening fails with a
 * {@link StoreError} of code `unavailable` naming the schema and, when
 * readable, the app version of its newest run. Failing to create the folder
 * or the file, or to read it, throws a {@link StoreError} with code `io_error`.
 */
export function openStore(options: OpenStoreOptions): RunStore {
  const path = options.path;
  const now = options.now ?? (() => new Date());
  const notices: Notice[] = [];
  const db = options.readonly ? openReadonlyDb(options, notices) : openWritableDb(options, now, notices);
  const store = new RunStore({
    db,
    path,
    appVersion: options.appVersion,
    batchFlushRows: options.batchFlushRows ?? 1000,
    now,
    notices,
  });
  if (options.readonly) {
    try {
      const stale = orphanedRunCount(db);
      if (stale > 0) markInterruptedAside({ options, now, notices, stale });
    } catch (error) {
      store.close();
      throw openError(error, path, `read the database ${path}`);
    }
    return store;
  }
  try {
    const marked = store.markInterrupted();
    if (marked.length > 0) {
      notices.push({ level: 'info', message: interruptedNotice(marked.length) });
    }
  } catch (error) {
    // A read-only database still opens for reading; say why its runs keep their status.
    if (!(error instanceof StoreError && error.code === 'io_error')) {
      store.close();
      throw error;
    }
    notices.push({
      level: 'warning',
      message: `Unfinished runs could not be marked interrupted: ${error.message}`,
    });
  }
  return store;
}
