import type Database from 'better-sqlite3';

/**
 * One step of the schema. `up` runs inside a transaction opened by the
 * migration runner, which then sets `PRAGMA user_version` to `version`;
 * a failure rolls both back, so a database is always at a whole version.
 */
export interface Migration {
  /** 1-based, consecutive; equals the file's number. */
  version: number;
  name: string;
  up(db: Database.Database): void;
}
