import type { ErrorCode } from '../../shared/result';

/** The error codes the storage layer (run store and report export) fails with. */
export type StoreErrorCode = Extract<
  ErrorCode,
  'not_found' | 'io_error' | 'invalid_input' | 'conflict' | 'unavailable'
>;

/**
 * A failure of the storage layer with a stable {@link ErrorCode} and a sentence
 * for people. API handlers turn it into `err(code, message)` as is; any other
 * thrown value is a bug and becomes `internal`.
 */
export class StoreError extends Error {
  /** Stable code from the API contract's closed union. */
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** What SQLite's primary result codes mean for the user, and the API code each maps to. */
const sqliteReasons: Record<string, { code: StoreErrorCode; reason: string }> = {
  SQLITE_FULL: { code: 'io_error', reason: 'the disk is full (or the database reached its size limit)' },
  SQLITE_READONLY: { code: 'io_error', reason: 'the database file or its folder is read-only' },
  SQLITE_IOERR: { code: 'io_error', reason: 'reading or writing the disk failed' },
  SQLITE_CANTOPEN: { code: 'io_error', reason: 'the database file cannot be opened' },
  SQLITE_PERM: { code: 'io_error', reason: 'permission to the database file was denied' },
  SQLITE_CORRUPT: { code: 'io_error', reason: 'the database file is damaged' },
  SQLITE_NOTADB: { code: 'io_error', reason: 'the file is not a VAE Studio database' },
  SQLITE_BUSY: {
    code: 'conflict',
    reason: 'the database stayed locked by another VAE Studio process (the app or the CLI) for too long',
  },
  SQLITE_LOCKED: { code: 'conflict', reason: 'the database is locked' },
  SQLITE_CONSTRAINT: { code: 'conflict', reason: 'the change conflicts with data already stored' },
};

/**
 * Extended codes whose primary code's reason would mislead. SHMSIZE is what a
 * full disk looks like when a connection opens a WAL database: the -shm index
 * is rebuilt by the first connection and must grow into free blocks.
 */
const sqliteExtendedReasons: Record<string, { code: StoreErrorCode; reason: string }> = {
  SQLITE_IOERR_SHMSIZE: {
    code: 'io_error',
    reason:
      "the disk is full (or a file-size limit was reached), so the database's shared-memory index cannot grow; free some space and try again",
  },
};

const fsReasons: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder is in the way of a file',
  EEXIST: 'a file is in the way',
  EIO: 'a disk read or write failed',
  EFBIG: 'the file grew beyond the allowed size',
};

function stringCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null || !('code' in error)) return null;
  return typeof error.code === 'string' ? error.code : null;
}

/**
 * The primary SQLite result code of an error thrown by better-sqlite3
 * (`SQLITE_IOERR_WRITE` → `SQLITE_IOERR`), or null when it is not one.
 */
export function sqlitePrimaryCode(error: unknown): string | null {
  const code = stringCode(error);
  if (code === null || !code.startsWith('SQLITE_')) return null;
  const match = /^SQLITE_[A-Z]+/.exec(code);
  return match ? match[0] : code;
}

/**
 * Turns what better-sqlite3 or `node:fs` threw while doing `what` ("save epoch 3
 * of run …") into a {@link StoreError}. Anything else (a TypeError: a bug) is
 * returned unchanged so that it surfaces as `internal`.
 */
export function toStoreError(error: unknown, what: string): unknown {
  if (error instanceof StoreError) return error;
  const primary = sqlitePrimaryCode(error);
  if (primary !== null) {
    const known = sqliteExtendedReasons[stringCode(error) ?? ''] ??
      sqliteReasons[primary] ?? {
        code: 'io_error' as const,
        reason: 'the database reported an error',
      };
    const detail = error instanceof Error ? error.message : String(error);
    return new StoreError(
      known.code,
      `Could not ${what}: ${known.reason} (${stringCode(error)}: ${detail}).`,
      {
        cause: error,
      },
    );
  }
  const code = stringCode(error);
  if (code !== null && code in fsReasons) {
    return new StoreError('io_error', `Could not ${what}: ${fsReasons[code]} (${code}).`, { cause: error });
  }
  if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
    return new StoreError('io_error', `Could not ${what}: the run store is closed.`, { cause: error });
  }
  return error;
}
