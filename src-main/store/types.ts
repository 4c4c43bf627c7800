import type Database from 'better-sqlite3';
import type { CommandArg } from '../../shared/contract';
import type { BackendName, Hyperparams } from '../../shared/hyperparams';
import type { ActiveStatus } from '../../shared/run-status';
import type { EpochMetrics, RunStatus, Snapshot } from '../../shared/run';
import type { Checkpoint, NamedArray } from '../training/checkpoint';
import type { BatchLoss } from '../training/protocol';

// The worker's types, stored as they come: one type per concept across the worker/store boundary.
export type { BatchLoss, Checkpoint, NamedArray };

/** Argument of {@link RunStore.createRun}. */
export interface CreateRunInput {
  /** Validated at the API boundary (shared/schemas.ts); stored as given. */
  hyperparams: Hyperparams;
  /** Hash of the dataset's content, so a run can be matched to the exact data it saw. */
  datasetHash: string;
  /** Trimmed by the `runs:start` schema; defaults to "<dataset> <arch> z<latentDim> #<n>". */
  name?: string;
  /** Defaults to `queued`. */
  status?: ActiveStatus;
  backend?: BackendName | null;
  device?: string | null;
  notes?: string;
  /** Duplicates are dropped. */
  tags?: string[];
  /** How many latest per-epoch weights to keep (null: all); the stored default when omitted. */
  keepCheckpoints?: number | null;
}

/** Argument of {@link RunStore.setStatus}. */
export interface SetStatusInput {
  runId: string;
  status: RunStatus;
  /** Why it failed, diverged or stopped; `null` clears a previous message. Omitted: cleared too. */
  message?: string | null;
  /** Recorded when the worker picked the backend (usually with `running`). */
  backend?: BackendName | null;
  device?: string | null;
}

/** Argument of {@link RunStore.recordEpoch}: everything one finished epoch produced. */
export interface RecordEpochInput {
  runId: string;
  metrics: EpochMetrics;
  /** Must carry the same epoch as `metrics`. */
  snapshot?: Snapshot;
  /** Replaces the run's previous checkpoint; must carry the same epoch as `metrics`. */
  checkpoint?: Checkpoint;
  /** The decoder's weights after this epoch, kept for every epoch. */
  decoderWeights?: NamedArray[];
}

/** Argument of {@link RunStore.listRuns} — the `runs:list` command's argument. */
export type ListRunsQuery = CommandArg<'runs:list'>;

/** Argument of {@link RunStore.updateRun} — the `runs:update` command's argument, as its schema left it (trimmed, lengths checked). */
export type UpdateRunInput = CommandArg<'runs:update'>;

/** Decoder weights of one epoch. */
export interface DecoderWeights {
  epoch: number;
  weights: NamedArray[];
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The database file; its folder is created when missing. */
  path: string;
  /** Recorded with every new run. */
  appVersion: string;
  /** How long a write waits for another process's lock before failing with `conflict`. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Buffered batch rows are written once this many are pending (and at every epoch). Default 1000. */
  batchFlushRows?: number;
  /** The clock (tests pin it). */
  now?: () => Date;
  /**
   * For commands that only read (`runs list`, `runs show`…): the file is
   * opened read-only and never moved aside, no run is marked interrupted,
   * a missing file reads as an empty store without being created, and a
   * schema older than this build's is not upgraded (opening fails with
   * `unavailable`: an older app sharing the file would then refuse it).
   */
  readonly?: boolean;
  /**
   * Runs on the connection after the store's own pragmas and before any
   * migration. Tests use it to impose faults (`max_page_count`, `query_only`).
   */
  configure?: (db: Database.Database) => void;
}
