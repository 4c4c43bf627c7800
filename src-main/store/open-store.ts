import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Notice } from '../../shared/contract';
import { sqlitePrimaryCode, StoreError, toStoreError } from './errors';
import { migrate, schemaVersion } from './migrate';
import { latestVersion } from './migrations';
import { RunStore } from './run-store';
import type { OpenStoreOptions } from './types';

/** The first 16 bytes of every SQLite 3 database file. */
const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1');

/** Why a file was moved aside; also the suffix of its new name. */
type AsideReason = 'not-sqlite' | 'corrupt' | 'newer';

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

/**
 * Opens the connection and sets the pragmas every connection needs (they are
 * per connection, not stored in the file, except journal_mode=WAL).
 */
function connect(path: string, options: OpenStoreOptions): Database.Database {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    // WAL: readers (the UI, the CLI) never block the writer (training) and vice versa.
    db.pragma('journal_mode = WAL');
    // In WAL, NORMAL syncs at checkpoints, not at every commit: a power cut may lose the last
    // epochs, but the file stays consistent, and per-epoch commits cost no fsync.
    db.pragma('synchronous = NORMAL');
    // Off by default in SQLite; ON DELETE CASCADE depends on it.
    db.pragma('foreign_keys = ON');
    options.configure?.(db);
    // Reading the schema and the version touches page 1 and the schema table:
    // a file that is not a database or is damaged there fails here, not later.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    const version = schemaVersion(db);
    if (version > latestVersion) {
      throw new UnusableDatabase(
        'newer',
        `it was written by a newer version of VAE Studio (schema ${version}; this version knows up to ${latestVersion})`,
      );
    }
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
  newer: 'it was written by a newer version of VAE Studio',
};

/**
 * Opens (creating when needed) the run store at `options.path`: applies the
 * pragmas (WAL, foreign keys, busy timeout), runs pending migrations, and
 * marks runs of dead processes interrupted.
 *
 * A file that is not SQLite, is damaged, or has a schema newer than this
 * build knows is renamed to `<path>.<reason>-<timestamp>` (never deleted), a
 * fresh database is created, and `store.notices` says what happened and where
 * the old file is. Failing to create the folder or the file throws a
 * {@link StoreError} with code `io_error`.
 */
export function openStore(options: OpenStoreOptions): RunStore {
  const path = options.path;
  const now = options.now ?? (() => new Date());
  const notices: Notice[] = [];
  const db = (() => {
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
              `The database ${path} could not be used because ${unusable.reason === 'newer' ? unusable.detail : reasonText[unusable.reason]}. ` +
              `It was moved to ${aside} (nothing was deleted) and a new, empty database was created.` +
              (unusable.reason === 'newer'
                ? ' Open the moved file with the newer version to see its runs.'
                : ''),
          });
        }
      }
    } catch (error) {
      const converted = toStoreError(error, `open the database ${path}`);
      throw converted instanceof StoreError
        ? converted
        : new StoreError('io_error', `Could not open the database ${path}: ${String(error)}`, {
            cause: error,
          });
    }
  })();
  const store = new RunStore({
    db,
    path,
    appVersion: options.appVersion,
    batchFlushRows: options.batchFlushRows ?? 1000,
    now,
    notices,
  });
  try {
    const marked = store.markInterrupted();
    if (marked.length > 0) {
      notices.push({
        level: 'info',
        message: `${marked.length} run${marked.length === 1 ? ' was' : 's were'} left unfinished by a process that ended; marked interrupted (resume continues them).`,
      });
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
