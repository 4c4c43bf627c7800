/**
 * The run store: SQLite persistence of runs, metrics, snapshots, checkpoints
 * and imported datasets. Open it with {@link openStore}.
 */
export { openStore } from './open-store';
export { RunStore, maxBatchPoints } from './run-store';
export { StoreError, type StoreErrorCode } from './errors';
export { latestVersion } from './migrations';
export type {
  BatchLoss,
  Checkpoint,
  NamedArray,
  CreateRunInput,
  DecoderWeights,
  ListRunsQuery,
  OpenStoreOptions,
  RecordEpochInput,
  SetStatusInput,
  UpdateRunInput,
} from './types';
