import type { BackendName, Hyperparams } from './hyperparams';
import type { RunStatus } from './run-status';

/**
 * Domain types of a training run, shared by the engine, the store, the API
 * and the renderer. Plain data only: everything here crosses process boundaries.
 */

/** The statuses live with their transitions in run-status.ts; re-exported for the many importers of run.ts. */
export { runStatuses, type RunStatus } from './run-status';

/** Loss terms, each the mean over images of the per-image value. */
export interface LossTerms {
  /** reconstruction + β·KL */
  loss: number;
  /** Binary cross-entropy summed over pixels. */
  recon: number;
  /** KL(q(z|x) ‖ N(0, I)) summed over latent dimensions. */
  kl: number;
}

/** Throttled progress inside an epoch. */
export interface BatchProgress {
  runId: string;
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Running mean of the epoch's training losses so far. */
  train: LossTerms;
  samplesPerSecond: number;
}

/** The result of one finished epoch. */
export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  train: LossTerms;
  test: LossTerms;
  /** β in force during this epoch (after warm-up). */
  beta: number;
  seconds: number;
  samplesPerSecond: number;
}

/**
 * Per-epoch figures. Images are uint8 greyscale (or RGB when channels = 3),
 * row-major, `height × width × channels` each, concatenated.
 */
export interface Snapshot {
  epoch: number;
  imageShape: { height: number; width: number; channels: number };
  /** The fixed test images of the gallery, their indices into the test set. */
  galleryIndices: number[];
  /** Gallery rows: originals, generator(z_mu), output through a sampled z. */
  gallery: { original: Uint8Array; mean: Uint8Array; sampled: Uint8Array };
  /** Test-set latent codes, `count × latentDim`, and labels. */
  latent: { count: number; latentDim: number; zMu: Float32Array; zLogVar: Float32Array; labels: Uint8Array };
  /** n×n images decoded over [−r, r]² on dims (dimX, dimY), others at 0; row 0 is the top (largest z[1]). */
  manifold: { n: number; range: number; dims: [number, number]; images: Uint8Array };
  /** Images decoded from z ~ N(0, I). */
  prior: { count: number; images: Uint8Array };
  /** Mean KL per latent dimension over the test set. */
  klPerDim: number[];
}

/** A run as listed and shown. */
export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
  hyperparams: Hyperparams;
  datasetHash: string;
  backend: BackendName | null;
  device: string | null;
  appVersion: string;
  notes: string;
  tags: string[];
  epochsDone: number;
  lastTest: LossTerms | null;
  /** Why a run failed, diverged or was stopped. */
  statusMessage: string | null;
  /** Bytes the run occupies in the database ({@link RunSize.total}); set by lists and reads of stored runs. */
  sizeBytes?: number;
}

/** Bytes a run occupies in the database, by kind (sums of the stored values' lengths). */
export interface RunSize {
  /** The per-epoch figures. */
  snapshots: number;
  /** Per-epoch decoder weights, what Explore decodes new points with: what retention prunes. */
  epochWeights: number;
  /** The resume checkpoint (all weights and the optimizer's state at the last epoch); never pruned. */
  checkpoint: number;
  /** Epoch and batch metrics. */
  metrics: number;
  total: number;
}
