import type { BackendChoice, BackendName, Hyperparams } from '../../shared/hyperparams';
import type { ErrorCode } from '../../shared/result';
import type { BatchProgress, EpochMetrics, Snapshot } from '../../shared/run';
import type { TerminalStatus } from '../../shared/run-status';
import type { DatasetRef } from '../datasets/types';
import type { Checkpoint, NamedArray } from './checkpoint';
import type { ModelSpec } from './model-spec';

/**
 * Messages between the training host (main thread) and the training worker.
 * Every message carries its sender's sequence number `seq`; answers to a
 * request name it in `replyTo`, so a late message of an old run can never be
 * taken for the current one's. Plain data only (structured clone); the large
 * typed arrays of `epoch` are transferred, not copied.
 */

/** Everything the worker needs to run one training. */
export interface TrainingJob {
  runId: string;
  hyperparams: Hyperparams;
  backend: BackendChoice;
  dataset: DatasetRef;
  /** Resume from this checkpoint (weights and Adam state); null for a new run. */
  checkpoint: Checkpoint | null;
  /** 1-based first epoch to train: `checkpoint.epoch + 1`, or 1 without a checkpoint. */
  startEpoch: number;
}

/** Latent points to decode with one set of decoder weights (runs:decode). */
export interface DecodeRequest {
  /**
   * Names these weights for the worker's cache of decoders: the same key must
   * always come with the same weights (the host makes one per weights it reads).
   */
  key: string;
  spec: ModelSpec;
  /** The decoder's weights (the encoder's are not needed). */
  weights: NamedArray[];
  /** `count × spec.latentDim` numbers, row-major. */
  points: Float32Array;
  count: number;
}

/** Decoded images: `count` images of `height × width × channels` bytes, concatenated. */
export interface DecodedImages {
  images: Uint8Array;
  count: number;
}

/** One training step's losses, for the per-batch curve (sent in chunks, never as a history). */
export interface BatchLoss {
  /** 1-based step over the whole run: epoch e, step s of S → (e − 1)·S + s. */
  step: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  loss: number;
  recon: number;
  kl: number;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  code: ErrorCode;
}

/** How a run that the worker finished ended (a failure is an `error` message instead). */
export type FinishedStatus = Extract<TerminalStatus, 'completed' | 'stopped' | 'diverged'>;

/** Host → worker. */
export type HostMessage =
  | { type: 'start'; seq: number; job: TrainingJob }
  | { type: 'stop'; seq: number; runId: string }
  /**
   * Decode on this worker; answered by `decoded` or `error`. `native`: it may
   * load TensorFlow's native binding (the training worker only).
   */
  | { type: 'decode'; seq: number; request: DecodeRequest; native: boolean };

/** Worker → host. */
export type WorkerMessage =
  /** The run's backend is up and its dataset loaded; training starts now. */
  | {
      type: 'ready';
      seq: number;
      replyTo: number;
      runId: string;
      backend: BackendName;
      device: string;
      notes: string[];
    }
  | { type: 'progress'; seq: number; replyTo: number; progress: BatchProgress }
  /** The steps since the previous `batches` message (sent with each progress report, and before the run ends). */
  | { type: 'batches'; seq: number; replyTo: number; runId: string; batches: BatchLoss[] }
  | {
      type: 'epoch';
      seq: number;
      replyTo: number;
      runId: string;
      metrics: EpochMetrics;
      snapshot: Snapshot;
      checkpoint: Checkpoint;
    }
  | {
      type: 'done';
      seq: number;
      replyTo: number;
      runId: string;
      status: FinishedStatus;
      message: string;
      lastEpoch: number;
    }
  /** The answer to a `decode`; `images` is transferred. */
  | { type: 'decoded'; seq: number; replyTo: number; images: Uint8Array; count: number }
  /** The request failed: the run (if any) is over as failed. `replyTo` is null for a message that could not be read. */
  | { type: 'error'; seq: number; replyTo: number | null; runId: string | null; error: WireError };

const workerTypes: ReadonlySet<string> = new Set([
  'ready',
  'progress',
  'batches',
  'epoch',
  'done',
  'decoded',
  'error',
]);
const hostTypes: ReadonlySet<string> = new Set(['start', 'stop', 'decode']);

function hasType(value: unknown, types: ReadonlySet<string>): value is { type: string; seq: number } {
  if (typeof value !== 'object' || value === null) return false;
  const { type, seq } = value as { type?: unknown; seq?: unknown };
  return typeof type === 'string' && types.has(type) && typeof seq === 'number';
}

/** A shallow check of a message from the worker (the worker is our own code; this catches version skew and bugs). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasType(value, workerTypes);
}

/** A shallow check of a message from the host. */
export function isHostMessage(value: unknown): value is HostMessage {
  return hasType(value, hostTypes);
}
