import type Database from 'better-sqlite3';
import type { RunSize } from '../../shared/run';
import { StoreError } from './errors';

export type { RunSize } from '../../shared/run';

/**
 * How much a run occupies, and pruning of per-epoch weights (migration 0003).
 *
 * What a run stores per epoch: a snapshot (the figures, ~0.5 MB for the
 * reference preset) and the decoder's weights (~0.8 MB, what Explore decodes
 * new points with at that epoch). Retention prunes only the latter, oldest
 * first; snapshots stay, and so does the run's one resume checkpoint
 * (`checkpoints`), which no retention setting touches.
 */

/** What {@link Retention.prune} did. */
export interface PruneResult {
  /** Epochs whose weights were deleted, ascending. */
  prunedEpochs: number[];
  freedBytes: number;
}

/** Settings key of the retention new runs take (JSON: a positive integer, or null for all). */
export const keepCheckpointsKey = 'retention.keepCheckpoints';

/** A retention value: how many latest per-epoch weights to keep; null keeps all. */
export type KeepCheckpoints = number | null;

/** The value given, or a StoreError saying what is wrong. */
export function checkKeep(keep: unknown): KeepCheckpoints {
  if (keep === null) return null;
  if (typeof keep === 'number' && Number.isInteger(keep) && keep >= 1 && keep <= 1_000_000) return keep;
  throw new StoreError(
    'invalid_input',
    `The number of checkpoints to keep must be a whole number of at least 1 (or all), not ${JSON.stringify(keep)}.`,
  );
}

const snapshotBytes = `length(gallery_indices) + length(gallery_original) + length(gallery_mean)
  + length(gallery_sampled) + length(z_mu) + length(z_log_var) + length(labels) + length(manifold_images)
  + length(prior_images) + length(kl_per_dim)`;

// An epoch_metrics row is 11 numbers and a key: counted at a flat 100 bytes.
const epochRowBytes = 100;

/** The four kinds of a run's size as SQL expressions, for the run whose id is `runId` (an SQL expression). */
function sizeParts(runId: string): Record<Exclude<keyof RunSize, 'total'>, string> {
  return {
    snapshots: `(SELECT COALESCE(SUM(${snapshotBytes}), 0) FROM snapshots WHERE run_id = ${runId})`,
    epochWeights: `(SELECT COALESCE(SUM(length(data)), 0) FROM decoder_weights WHERE run_id = ${runId})`,
    checkpoint: `(SELECT COALESCE(SUM(length(data)), 0) FROM checkpoints WHERE run_id = ${runId})`,
    metrics: `((SELECT COALESCE(SUM(length(steps) + length(loss) + length(recon) + length(kl)), 0)
       FROM batch_metrics WHERE run_id = ${runId})
      + ${epochRowBytes} * (SELECT count(*) FROM epoch_metrics WHERE run_id = ${runId}))`,
  };
}

export class Retention {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    // length() of a BLOB reads the record header only, not the value's pages.
    this.s = {
      size: db.prepare<[{ runId: string }], Omit<RunSize, 'total'>>(
        `SELECT ${Object.entries(sizeParts('@runId'))
          .map(([name, sql]) => `${sql} AS ${name}`)
          .join(', ')}`,
      ),
      // Many runs' totals in one statement: a list of 10,000 runs asked 10,000 times cost
      // more in calls than in reading.
      totals: db
        .prepare<[{ ids: string }], [string, number]>(
          `SELECT j.value, ${Object.values(sizeParts('j.value')).join(' + ')} FROM json_each(@ids) AS j`,
        )
        .raw(),
      keepOf: db.prepare<[string], number | null>('SELECT keep_checkpoints FROM runs WHERE id = ?').pluck(),
      setKeep: db.prepare<[{ runId: string; keep: number | null }]>(
        'UPDATE runs SET keep_checkpoints = @keep WHERE id = @runId',
      ),
      // The newest `keep` epochs stay; epochs are counted from the newest stored one.
      doomed: db.prepare<[{ runId: string; keep: number }], { epoch: number; bytes: number }>(`
        SELECT epoch, length(data) AS bytes FROM decoder_weights
        WHERE run_id = @runId AND epoch NOT IN (
          SELECT epoch FROM decoder_weights WHERE run_id = @runId ORDER BY epoch DESC LIMIT @keep)
        ORDER BY epoch`),
      deleteWeights: db.prepare<[{ runId: string; epoch: number }]>(
        'DELETE FROM decoder_weights WHERE run_id = @runId AND epoch = @epoch',
      ),
      getSetting: db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck(),
      putSetting: db.prepare<[{ key: string; value: string }]>(
        'INSERT OR REPLACE INTO settings (key, value) VALUES (@key, @value)',
      ),
    };
  }

  size(runId: string): RunSize {
    const row = this.s.size.get({ runId }) ?? { snapshots: 0, epochWeights: 0, checkpoint: 0, metrics: 0 };
    return { ...row, total: row.snapshots + row.epochWeights + row.checkpoint + row.metrics };
  }

  /** Total bytes of each of these runs, by id (a run that does not exist counts 0). */
  totals(runIds: readonly string[]): Map<string, number> {
    return new Map(this.s.totals.all({ ids: JSON.stringify(runIds) }));
  }

  keepOf(runId: string): KeepCheckpoints {
    return this.s.keepOf.get(runId) ?? null;
  }

  /** Sets a run's retention and applies it now; call inside a write transaction. */
  prune(runId: string, keep: KeepCheckpoints): PruneResult {
    this.s.setKeep.run({ runId, keep });
    if (keep === null) return { prunedEpochs: [], freedBytes: 0 };
    const doomed = this.s.doomed.all({ runId, keep });
    for (const { epoch } of doomed) this.s.deleteWeights.run({ runId, epoch });
    return { prunedEpochs: doomed.map((d) => d.epoch), freedBytes: doomed.reduce((n, d) => n + d.bytes, 0) };
  }

  /** Applies the run's own retention after an epoch was saved; call inside that write transaction. */
  afterEpoch(runId: string): void {
    const keep = this.keepOf(runId);
    if (keep !== null) this.prune(runId, keep);
  }

  /** The retention new runs take; null (keep all) when never set. */
  defaultKeep(): KeepCheckpoints {
    const raw = this.s.getSetting.get(keepCheckpointsKey);
    if (raw === undefined) return null;
    try {
      return checkKeep(JSON.parse(raw));
    } catch {
      // A value this version cannot read keeps everything, the safe side.
      return null;
    }
  }

  setDefaultKeep(keep: KeepCheckpoints): void {
    this.s.putSetting.run({ key: keepCheckpointsKey, value: JSON.stringify(checkKeep(keep)) });
  }
}

/** Bytes of the database file, its free pages, and its write-ahead log. */
export interface FileUsage {
  fileBytes: number;
  freeBytes: number;
  walBytes: number;
}

export function fileUsage(db: Database.Database, walBytes: number): FileUsage {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return { fileBytes: pageSize * pages, freeBytes: pageSize * free, walBytes };
}

/** Free space worth a VACUUM: at least 8 MiB and a tenth of the file. */
export function worthCompacting(usage: FileUsage): boolean {
  return usage.freeBytes >= 8 * 1024 * 1024 && usage.freeBytes >= usage.fileBytes / 10;
}
