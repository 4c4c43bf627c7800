import type { Migration } from './migration';
import { migration as m0001 } from './0001-initial-schema';
import { migration as m0002 } from './0002-run-tags-and-list-indexes';
import { migration as m0003 } from './0003-sweeps';
import { migration as m0004 } from './0004-retention';
import { migration as m0005 } from './0005-runs-by-name';

export type { Migration } from './migration';

/** Every migration, in order; the last one's version is the schema version this build writes. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005];

/** The schema version this build creates and understands. */
export const latestVersion: number = migrations[migrations.length - 1]?.version ?? 0;
