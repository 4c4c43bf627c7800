import type { DatasetInfo } from '../../shared/contract';
import type { BackendName, Hyperparams } from '../../shared/hyperparams';
import type { EpochMetrics, LossTerms, RunStatus, RunSummary } from '../../shared/run';

/**
 * The `runs`, `epoch_metrics` and `datasets` rows as SQLite returns them, and
 * their translation to the API's types. (Snapshots have their own module:
 * snapshot-rows.ts.)
 */

export interface RunRow {
  id: string;
  name: string;
  status: RunStatus;
  status_message: string | null;
  created_at: string;
  finished_at: string | null;
  hyperparams: string;
  dataset_hash: string;
  backend: BackendName | null;
  device: string | null;
  app_version: string;
  notes: string;
  tags: string;
  epochs_done: number;
  last_test_loss: number | null;
  last_test_recon: number | null;
  last_test_kl: number | null;
}

export interface EpochRow {
  run_id: string;
  epoch: number;
  train_loss: number | null;
  train_recon: number | null;
  train_kl: number | null;
  test_loss: number | null;
  test_recon: number | null;
  test_kl: number | null;
  beta: number;
  seconds: number;
  samples_per_second: number;
}

export interface DatasetRow {
  name: string;
  source: DatasetInfo['source'];
  hash: string;
  train_count: number;
  test_count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  labels: string;
  created_at: string;
}

export const runColumnNames = [
  'id',
  'name',
  'status',
  'status_message',
  'created_at',
  'finished_at',
  'hyperparams',
  'dataset_hash',
  'backend',
  'device',
  'app_version',
  'notes',
  'tags',
  'epochs_done',
  'last_test_loss',
  'last_test_recon',
  'last_test_kl',
] as const satisfies readonly (keyof RunRow)[];
export const runColumns = runColumnNames.join(', ');

export const epochColumnNames = [
  'run_id',
  'epoch',
  'train_loss',
  'train_recon',
  'train_kl',
  'test_loss',
  'test_recon',
  'test_kl',
  'beta',
  'seconds',
  'samples_per_second',
] as const satisfies readonly (keyof EpochRow)[];
export const epochColumns = epochColumnNames.join(', ');

/**
 * Lists read rows as arrays (`.raw()`) and name them here: better-sqlite3
 * building a keyed object per row costs about twice the query on 1,000 runs.
 */
export function zip<T>(names: readonly (keyof T & string)[], tuple: readonly unknown[]): T {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = tuple[i];
  return row as T;
}

/** SQLite stores NaN as NULL (better-sqlite3 binds NaN so); read it back as NaN. */
function num(value: number | null): number {
  return value ?? Number.NaN;
}

export function terms(loss: number | null, recon: number | null, kl: number | null): LossTerms {
  return { loss: num(loss), recon: num(recon), kl: num(kl) };
}

export function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    // Validated by hyperparamsSchema at the API boundary before the run was created; not re-parsed on every list.
    // Runs stored before a setting existed lack it: its default (threads: every core).
    hyperparams: { threads: null, ...(JSON.parse(row.hyperparams) as Omit<Hyperparams, 'threads'>) },
    datasetHash: row.dataset_hash,
    backend: row.backend,
    device: row.device,
    appVersion: row.app_version,
    notes: row.notes,
    tags: JSON.parse(row.tags) as string[],
    epochsDone: row.epochs_done,
    lastTest: row.epochs_done > 0 ? terms(row.last_test_loss, row.last_test_recon, row.last_test_kl) : null,
    statusMessage: row.status_message,
  };
}

export function toEpochMetrics(row: EpochRow): EpochMetrics {
  return {
    epoch: row.epoch,
    train: terms(row.train_loss, row.train_recon, row.train_kl),
    test: terms(row.test_loss, row.test_recon, row.test_kl),
    beta: row.beta,
    seconds: row.seconds,
    samplesPerSecond: row.samples_per_second,
  };
}

/** The named parameters of the epoch upsert. */
export function epochParams(runId: string, metrics: EpochMetrics): Record<string, unknown> {
  return {
    runId,
    epoch: metrics.epoch,
    trainLoss: metrics.train.loss,
    trainRecon: metrics.train.recon,
    trainKl: metrics.train.kl,
    testLoss: metrics.test.loss,
    testRecon: metrics.test.recon,
    testKl: metrics.test.kl,
    beta: metrics.beta,
    seconds: metrics.seconds,
    samplesPerSecond: metrics.samplesPerSecond,
  };
}

export function toDatasetInfo(row: DatasetRow): DatasetInfo {
  return {
    name: row.name,
    source: row.source,
    hash: row.hash,
    trainCount: row.train_count,
    testCount: row.test_count,
    height: row.height,
    width: row.width,
    channels: row.channels,
    labels: JSON.parse(row.labels) as string[],
    createdAt: row.created_at,
  };
}

/** The named parameters of the dataset upsert. */
export function datasetParams(info: DatasetInfo): Record<string, unknown> {
  return {
    name: info.name,
    source: info.source,
    hash: info.hash,
    trainCount: info.trainCount,
    testCount: info.testCount,
    height: info.height,
    width: info.width,
    channels: info.channels,
    labels: JSON.stringify(info.labels),
    createdAt: info.createdAt,
  };
}
