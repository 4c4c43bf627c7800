import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../../shared/hyperparams';
import type { BatchProgress, EpochMetrics, Snapshot } from '../../shared/run';
import type { Checkpoint } from './checkpoint';
import { TrainingError } from './errors';
import {
  type BatchLoss,
  type DecodeRequest,
  type DecodedImages,
  type FinishedStatus,
  type HostMessage,
  type TrainingJob,
  type WireError,
  type WorkerMessage,
  isWorkerMessage,
} from './protocol';

/**
 * The main process's side of training: owns the one long-lived training
 * worker, runs one job at a time on it, and turns its messages into typed
 * events. Never imports electron (the CLI and browser mode use it too), never
 * loads tfjs.
 */

export type { BatchLoss, DecodeRequest, DecodedImages, TrainingJob } from './protocol';

/** A chunk of per-step losses of a run. */
export interface RunBatches {
  runId: string;
  batches: BatchLoss[];
}

/** A run whose backend is up and whose dataset is loaded. */
export interface RunStarted {
  runId: string;
  backend: BackendName;
  device: string;
  /** Why better backends were passed over. */
  notes: string[];
}

export interface RunEpoch {
  runId: string;
  metrics: EpochMetrics;
  snapshot: Snapshot;
  checkpoint: Checkpoint;
}

/** How a run ended. Exactly one per accepted {@link TrainingHost.start}. */
export interface RunEnd {
  runId: string;
  status: FinishedStatus | 'failed';
  /** A sentence for the user. */
  message: string;
  /** The last finished epoch as the worker reported it; null when it failed before saying. */
  lastEpoch: number | null;
  /** For `failed`: the error, with a contract code (`internal` for bugs and worker crashes). */
  error?: WireError;
}

export interface TrainingHostOptions {
  /** The compiled worker script; `worker.js` next to this file by default. */
  workerPath?: string;
}

type Listener<T> = (value: T) => void;

interface PendingDecode {
  worker: Worker;
  resolve: (decoded: DecodedImages) => void;
  reject: (error: TrainingError) => void;
}

interface ActiveRun {
  runId: string;
  startSeq: number;
  started: boolean;
  resolve: (started: RunStarted) => void;
  reject: (error: TrainingError) => void;
}

/**
 * One run at a time (the run service above queues): `start` rejects with a
 * `conflict` TrainingError while a run is active. If the worker dies, the run
 * ends as `failed` with the reason and a fresh worker is started.
 *
 * Decoding runs on the training worker while it is idle, and on a second
 * worker (same script, started on first need, stopped when the run ends)
 * while it trains: the worker's loop holds the thread for a whole epoch, and
 * on these machines the second core is free while wasm trains on one thread.
 */
export class TrainingHost {
  private readonly workerPath: string;
  private worker: Worker | null = null;
  private workerOnline = false;
  private decodeWorker: Worker | null = null;
  private readonly decodes = new Map<number, PendingDecode>();
  private seq = 0;
  private active: ActiveRun | null = null;
  private disposed = false;
  private readonly listeners = {
    progress: new Set<Listener<BatchProgress>>(),
    batches: new Set<Listener<RunBatches>>(),
    epoch: new Set<Listener<RunEpoch>>(),
    end: new Set<Listener<RunEnd>>(),
  };

  constructor(options: TrainingHostOptions = {}) {
    this.workerPath = options.workerPath ?? path.join(__dirname, 'worker.js');
  }

  /**
   * Starts a job. Resolves when the worker has its backend and dataset ready;
   * rejects with a TrainingError when it cannot start (`conflict` while busy,
   * `unavailable` backend, dataset errors…). Every start that was not refused
   * as busy also ends with exactly one `onEnd`, failures included, so a
   * caller may rely on either.
   */
  start(job: TrainingJob): Promise<RunStarted> {
    if (this.disposed)
      return Promise.reject(new TrainingError('unavailable', 'The training host has been shut down.'));
    if (this.active) {
      return Promise.reject(
        new TrainingError(
          'conflict',
          `Run ${this.active.runId} is training; the worker runs one run at a time.`,
        ),
      );
    }
    const worker = this.ensureWorker();
    const startSeq = ++this.seq;
    return new Promise<RunStarted>((resolve, reject) => {
      this.active = { runId: job.runId, startSeq, started: false, resolve, reject };
      // Keeps a CLI process alive while it trains, and only then.
      worker.ref();
      // Copied, not transferred: the caller (the store) keeps its checkpoint.
      this.send({ type: 'start', seq: startSeq, job });
    });
  }

  /** Asks the running run to stop (effective within one batch). False when `runId` is not running. */
  stop(runId: string): boolean {
    if (this.active?.runId !== runId) return false;
    this.send({ type: 'stop', seq: ++this.seq, runId });
    return true;
  }

  /**
   * Decodes latent points in a worker. Rejects with a TrainingError (the
   * worker's code, `internal` if it died) and never computes on this thread.
   */
  decode(request: DecodeRequest): Promise<DecodedImages> {
    if (this.disposed)
      return Promise.reject(new TrainingError('unavailable', 'The training host has been shut down.'));
    const worker = this.active ? this.ensureDecodeWorker() : this.ensureWorker();
    const seq = ++this.seq;
    return new Promise<DecodedImages>((resolve, reject) => {
      this.decodes.set(seq, { worker, resolve, reject });
      this.holdOpen(worker);
      // Copied, not transferred: the caller keeps the weights for the next request.
      worker.postMessage({
        type: 'decode',
        seq,
        request,
        native: worker === this.worker,
      } satisfies HostMessage);
    });
  }

  onProgress(listener: Listener<BatchProgress>): () => void {
    return this.subscribe(this.listeners.progress, listener);
  }

  /** Every step's losses, in chunks (for the per-batch curve; progress only carries running means). */
  onBatches(listener: Listener<RunBatches>): () => void {
    return this.subscribe(this.listeners.batches, listener);
  }

  onEpoch(listener: Listener<RunEpoch>): () => void {
    return this.subscribe(this.listeners.epoch, listener);
  }

  onEnd(listener: Listener<RunEnd>): () => void {
    return this.subscribe(this.listeners.end, listener);
  }

  /** Stops the workers for good; a running run ends as `failed`, pending decodes reject. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const workers = [this.worker, this.decodeWorker].filter((w): w is Worker => w !== null);
    this.worker = null;
    this.decodeWorker = null;
    for (const worker of workers) worker.removeAllListeners();
    await Promise.all(workers.map((worker) => worker.terminate()));
    for (const worker of workers)
      this.failDecodes(worker, new TrainingError('unavailable', 'The training host was shut down.'));
    this.failActive({
      name: 'TrainingError',
      code: 'unavailable',
      message: 'The training host was shut down during the run.',
    });
  }

  private subscribe<T>(set: Set<Listener<T>>, listener: Listener<T>): () => void {
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit<T>(set: Set<Listener<T>>, value: T): void {
    for (const listener of set) {
      try {
        listener(value);
      } catch (error) {
        // A faulty listener must not take the worker's message loop down with it.
        console.error('[training host] listener failed', error);
      }
    }
  }

  private send(message: HostMessage): void {
    this.worker?.postMessage(message);
  }

  /** A worker keeps a CLI process alive while it trains or decodes, and only then. */
  private holdOpen(worker: Worker): void {
    const busy =
      (worker === this.worker && this.active !== null) ||
      [...this.decodes.values()].some((d) => d.worker === worker);
    if (busy) worker.ref();
    else worker.unref();
  }

  /** Between runs the training worker decodes: the decode worker's memory (a second tfjs) is given back. */
  private retireDecodeWorker(): void {
    const worker = this.decodeWorker;
    if (!worker || this.active || [...this.decodes.values()].some((d) => d.worker === worker)) return;
    this.decodeWorker = null;
    void worker.terminate();
  }

  private failDecodes(worker: Worker, error: TrainingError): void {
    for (const [seq, pending] of this.decodes) {
      if (pending.worker !== worker) continue;
      this.decodes.delete(seq);
      pending.reject(error);
    }
  }

  /** Settles a decode if `message` answers one; false for any other message. */
  private settleDecode(worker: Worker, message: WorkerMessage): boolean {
    if (message.type !== 'decoded' && message.type !== 'error') return false;
    const pending = message.replyTo === null ? undefined : this.decodes.get(message.replyTo);
    if (!pending || pending.worker !== worker) return false;
    this.decodes.delete(message.replyTo as number);
    this.holdOpen(worker);
    if (message.type === 'decoded') pending.resolve({ images: message.images, count: message.count });
    else pending.reject(new TrainingError(message.error.code, message.error.message));
    this.retireDecodeWorker();
    return true;
  }

  private ensureDecodeWorker(): Worker {
    if (this.decodeWorker) return this.decodeWorker;
    const worker = new Worker(this.workerPath);
    this.decodeWorker = worker;
    worker.unref();
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.settleDecode(worker, message);
      else console.error('[training host] unreadable message from the decode worker', message);
    });
    let reason: string | null = null;
    worker.on('error', (error: Error) => {
      reason = `The decode worker crashed: ${error.message}`;
    });
    worker.on('exit', (code: number) => {
      if (this.decodeWorker === worker) this.decodeWorker = null;
      this.failDecodes(
        worker,
        new TrainingError(
          'internal',
          reason ?? `The decode worker stopped unexpectedly (exit code ${code}).`,
        ),
      );
    });
    return worker;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerPath);
    this.worker = worker;
    this.workerOnline = false;
    worker.unref();
    worker.on('online', () => {
      if (this.worker === worker) this.workerOnline = true;
    });
    worker.on('message', (message: unknown) => {
      if (this.worker === worker) this.receive(worker, message);
    });
    let reason: string | null = null;
    worker.on('error', (error: Error) => {
      reason = `The training worker crashed: ${error.message}`;
    });
    worker.on('exit', (code: number) => {
      if (this.worker !== worker) return;
      const wasOnline = this.workerOnline;
      this.worker = null;
      this.workerOnline = false;
      this.failDecodes(
        worker,
        new TrainingError(
          'internal',
          reason ?? `The training worker stopped unexpectedly (exit code ${code}).`,
        ),
      );
      this.failActive({
        name: 'WorkerExit',
        code: 'internal',
        message: reason ?? `The training worker stopped unexpectedly (exit code ${code}).`,
      });
      // A worker that never came up (missing file, broken build) would only die again.
      if (wasOnline && !this.disposed) this.ensureWorker();
    });
    return worker;
  }

  private failActive(error: WireError): void {
    const active = this.active;
    if (!active) return;
    this.active = null;
    if (this.worker) this.holdOpen(this.worker);
    this.retireDecodeWorker();
    if (!active.started) active.reject(new TrainingError(error.code, error.message));
    this.emit(this.listeners.end, {
      runId: active.runId,
      status: 'failed',
      message: error.message,
      lastEpoch: null,
      error,
    });
  }

  private receive(worker: Worker, message: unknown): void {
    if (!isWorkerMessage(message)) {
      console.error('[training host] unreadable message from the worker', message);
      return;
    }
    if (this.settleDecode(worker, message)) return;
    const active = this.active;
    // Messages of an earlier run (e.g. after a failed start) are ignored by sequence number.
    if (!active || ('replyTo' in message && message.replyTo !== active.startSeq && message.replyTo !== null))
      return;
    this.dispatch(message, active);
  }

  private dispatch(message: WorkerMessage, active: ActiveRun): void {
    switch (message.type) {
      case 'ready':
        active.started = true;
        active.resolve({
          runId: message.runId,
          backend: message.backend,
          device: message.device,
          notes: message.notes,
        });
        return;
      case 'progress':
        this.emit(this.listeners.progress, message.progress);
        return;
      case 'batches':
        this.emit(this.listeners.batches, { runId: message.runId, batches: message.batches });
        return;
      case 'epoch':
        this.emit(this.listeners.epoch, {
          runId: message.runId,
          metrics: message.metrics,
          snapshot: message.snapshot,
          checkpoint: message.checkpoint,
        });
        return;
      case 'done': {
        this.active = null;
        if (this.worker) this.holdOpen(this.worker);
        this.retireDecodeWorker();
        // A run stopped before it was ready still settles its start.
        if (!active.started) active.reject(new TrainingError('internal', message.message));
        this.emit(this.listeners.end, {
          runId: message.runId,
          status: message.status,
          message: message.message,
          lastEpoch: message.lastEpoch,
        });
        return;
      }
      case 'decoded':
        // An answer to a decode no one waits for any more (the host settled it on the worker's exit).
        return;
      case 'error':
        if (message.replyTo === null) {
          console.error('[training host] the worker could not read a message:', message.error.message);
          return;
        }
        this.failActive(message.error);
        return;
    }
  }
}
