import type Database from 'better-sqlite3';
import { migrations as allMigrations, type Migration } from './migrations';

/** The schema version recorded in the database header. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to `target` (default: the latest migration), one
 * migration per transaction. Returns the versions applied.
 *
 * Each transaction is IMMEDIATE: it takes the write lock before reading
 * user_version, so two processes opening an old database at once cannot both
 * apply the same migration; the second one waits (busy timeout), then sees the
 * new version and skips it.
 */
export function migrate(
  db: Database.Database,
  options: { target?: number; migrations?: readonly Migration[] } = {},
): number[] {
  const list = options.migrations ?? allMigrations;
  const target = options.target ?? list[list.length - 1]?.version ?? 0;
  const applied: number[] = [];
  for (const migration of list) {
    if (migration.version > target) break;
    // Checked before taking the write lock too, so an up-to-date database opens without one
    // (a read-only file, or another process in the middle of a long write).
    if (schemaVersion(db) >= migration.version) continue;
    const step = db.transaction(() => {
      if (schemaVersion(db) >= migration.version) return false;
      migration.up(db);
      // PRAGMA takes no bound parameters; the value is a code constant, checked to be an integer.
      if (!Number.isInteger(migration.version))
        throw new Error(`Migration ${migration.name} has a bad version.`);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (step.immediate()) applied.push(migration.version);
  }
  return applied;
}
