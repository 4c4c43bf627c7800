import type Database from 'better-sqlite3';
import { StoreError, toStoreError } from './errors';

/** Runs `fn` on `db`, turning database and file-system failures into {@link StoreError}s. */
export function guarded<T>(db: Database.Database, what: string, fn: () => T): T {
  if (!db.open) throw new StoreError('io_error', `Could not ${what}: the run store is closed.`);
  try {
    return fn();
  } catch (error) {
    throw toStoreError(error, what);
  }
}

/**
 * Runs `fn` in one write transaction. IMMEDIATE takes the write lock at
 * BEGIN, where the busy timeout applies; a deferred transaction that reads
 * first and upgrades later gets SQLITE_BUSY at once if another process wrote
 * in between (the busy handler cannot help a stale read snapshot in WAL).
 */
export function inWriteTransaction<T>(db: Database.Database, what: string, fn: () => T): T {
  return guarded(db, what, () => db.transaction(fn).immediate());
}
