import type { CommandArg, DatasetInfo } from '../../shared/contract';
import type { BackendChoice, Hyperparams } from '../../shared/hyperparams';
import type { RunSummary } from '../../shared/run';
import { isActive, isResumable } from '../../shared/run-status';
import { listDatasets } from '../datasets';
import type { RunStore } from '../store';
import { decoderWeightNames, modelSpecFor, planModel, ModelSpecError } from '../training/model-spec';
import type { RunEnd, RunEpoch, RunStarted, TrainingHost, TrainingJob } from '../training/host';
import type { BatchLoss } from '../training/protocol';
import { resumesExactly } from '../training/checkpoint';
import { AppError, hasErrorCode } from './app-error';
import type { EventBus } from './event-bus';

/** The part of {@link TrainingHost} the service uses (tests hand in a fake). */
export type TrainingHostLike = Pick<
  TrainingHost,
  'start' | 'stop' | 'onProgress' | 'onEpoch' | 'onEnd' | 'dispose'
> & {
  onBatches?: TrainingHost['onBatches'];
};

export interface RunServiceOptions {
  store: RunStore;
  host: TrainingHostLike;
  events: EventBus;
  dataDir: string;
  logError: (message: string, error: unknown) => void;
}

interface Pending {
  runId: string;
  backend: BackendChoice;
}

/**
 * Where the store and the training host meet: queues runs (one trains at a
 * time), records what the worker reports (batch losses in batched writes, one
 * transaction per epoch), turns the lifecycle into `run:*` events, and answers
 * the run commands. A disk that fails mid-run stops the run cleanly.
 */
export class RunService {
  private readonly store: RunStore;
  private readonly host: TrainingHostLike;
  private readonly events: EventBus;
  private readonly dataDir: string;
  private readonly logError: RunServiceOptions['logError'];
  private readonly queue: Pending[] = [];
  private current: string | null = null;
  /** Set when the store could not record an epoch: the run is stopped and ends as failed with this. */
  private storeFailure: { runId: string; message: string } | null = null;
  private closing = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(options: RunServiceOptions) {
    this.store = options.store;
    this.host = options.host;
    this.events = options.events;
    this.dataDir = options.dataDir;
    this.logError = options.logError;
    this.unsubscribe.push(
      this.host.onProgress((progress) => this.events.emit('run:progress', progress)),
      this.host.onEpoch((epoch) => this.recordEpoch(epoch)),
      this.host.onEnd((end) => this.finish(end)),
    );
    if (this.host.onBatches) {
      this.unsubscribe.push(this.host.onBatches(({ runId, batches }) => this.recordBatches(runId, batches)));
    }
  }

  /** Validates a new run against its dataset, stores it as queued, and starts it when the worker is free. */
  async start(arg: CommandArg<'runs:start'>): Promise<RunSummary> {
    const dataset = await this.dataset(arg.hyperparams.dataset);
    checkFits(arg.hyperparams, dataset);
    const run = this.store.createRun({
      hyperparams: { ...arg.hyperparams, dataset: dataset.name },
      datasetHash: dataset.hash,
      ...(arg.name ? { name: arg.name } : {}),
      ...(arg.keepCheckpoints !== undefined ? { keepCheckpoints: arg.keepCheckpoints } : {}),
    });
    this.enqueue({ runId: run.id, backend: arg.backend ?? 'auto' });
    return this.store.getRunSummary(run.id);
  }

  /** Stops a queued run at once, or asks the running one to stop within one batch. */
  stop(runId: string): RunSummary {
    const run = this.store.getRunSummary(runId);
    const queued = this.queue.findIndex((p) => p.runId === runId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return this.setStatus({ runId, status: 'stopped', message: 'Stopped before it started.' });
    }
    if (this.current === runId) {
      this.host.stop(runId);
      return run;
    }
    throw new AppError(
      'conflict',
      `Run "${run.name}" is ${run.status}, not training; there is nothing to stop.`,
    );
  }

  /** Queues a stopped, interrupted or failed run to continue from its last checkpoint. */
  async resume(runId: string): Promise<RunSummary> {
    const run = this.store.getRunSummary(runId);
    if (isActive(run.status)) {
      throw new AppError('conflict', `Run "${run.name}" is already ${run.status}.`);
    }
    if (!isResumable(run.status)) {
      throw new AppError(
        'conflict',
        `Run "${run.name}" has completed all its epochs; start a new run to train longer.`,
      );
    }
    // The dataset must still be there and be the same data the run saw.
    const dataset = await this.dataset(run.hyperparams.dataset);
    if (dataset.hash !== run.datasetHash) {
      throw new AppError(
        'conflict',
        `The dataset "${dataset.name}" has changed since run "${run.name}" started; it cannot be resumed on other data.`,
      );
    }
    this.store.rewindToCheckpoint(runId);
    this.setStatus({ runId, status: 'queued', message: null });
    this.enqueue({ runId, backend: run.backend ?? 'auto' });
    return this.store.getRunSummary(runId);
  }

  /** Deletes a run that is not queued or training. */
  delete(runId: string): void {
    if (this.current === runId || this.queue.some((p) => p.runId === runId)) {
      throw new AppError('conflict', 'Stop the run before deleting it.');
    }
    this.store.deleteRun(runId);
  }

  /** Waits until no run is queued or training (the CLI's `train`). */
  whenIdle(): Promise<void> {
    if (!this.current && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.events.onAny((event) => {
        if (event === 'run:status' && !this.current && this.queue.length === 0) {
          off();
          resolve();
        }
      });
    });
  }

  /** Shuts the worker down; a run still training is marked interrupted so it can be resumed. */
  async close(): Promise<void> {
    this.closing = true;
    for (const pending of this.queue.splice(0)) {
      this.setStatus({
        runId: pending.runId,
        status: 'interrupted',
        message: 'VAE Studio closed before the run started.',
      });
    }
    await this.host.dispose();
    for (const off of this.unsubscribe) off();
  }

  private async dataset(name: string): Promise<DatasetInfo> {
    const all = await listDatasets(this.dataDir);
    const found = all.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!found) {
      throw new AppError(
        'not_found',
        `There is no dataset named "${name}"; choose one of ${all.map((d) => d.name).join(', ')} or import it first.`,
      );
    }
    return found;
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    this.events.emit('run:status', { run: this.store.getRunSummary(pending.runId) });
    this.pump();
  }

  private pump(): void {
    if (this.current || this.closing) return;
    const next = this.queue.shift();
    if (!next) return;
    this.current = next.runId;
    void this.launch(next);
  }

  private async launch({ runId, backend }: Pending): Promise<void> {
    let job: TrainingJob;
    try {
      const run = this.store.getRunSummary(runId);
      const checkpoint = this.store.getCheckpoint(runId);
      job = {
        runId,
        hyperparams: run.hyperparams,
        backend,
        dataset: { name: run.hyperparams.dataset, dataDir: this.dataDir },
        checkpoint,
        startEpoch: checkpoint ? checkpoint.epoch + 1 : 1,
      };
    } catch (error) {
      this.endWithError(runId, error);
      return;
    }
    let started: RunStarted;
    try {
      started = await this.host.start(job);
    } catch {
      // The host reports every failed start through onEnd as well; finish() records it.
      return;
    }
    // Running from the moment the worker has its backend and data: that is when epochs start to count.
    try {
      this.setStatus({
        runId,
        status: 'running',
        backend: started.backend,
        device: started.device,
        message:
          job.checkpoint && !resumesExactly(job.checkpoint)
            ? `Resumed from a checkpoint of an older version (format ${job.checkpoint.format}), which lacks part of the optimizer's state: ` +
              'the curve continues approximately, not bit for bit as an uninterrupted run would.'
            : null,
      });
    } catch (error) {
      this.logError('[runs] could not record the start of the run', error);
    }
  }

  private recordBatches(runId: string, batches: readonly BatchLoss[]): void {
    if (this.storeFailure?.runId === runId) return;
    try {
      this.store.appendBatchMetrics(runId, batches);
    } catch (error) {
      this.failStorage(runId, error);
    }
  }

  private recordEpoch({ runId, metrics, snapshot, checkpoint }: RunEpoch): void {
    if (this.storeFailure?.runId === runId) return;
    try {
      const names = new Set(decoderWeightNames(planModel(checkpoint.spec)));
      this.store.recordEpoch({
        runId,
        metrics,
        snapshot,
        checkpoint,
        decoderWeights: checkpoint.weights.filter((w) => names.has(w.name)),
      });
    } catch (error) {
      this.failStorage(runId, error);
      return;
    }
    this.events.emit('run:epoch', { runId, metrics });
  }

  /** A write failed (full or read-only disk): stop training; what is stored stays. */
  private failStorage(runId: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.logError(`[runs] storing run ${runId} failed`, error);
    this.storeFailure = {
      runId,
      message: `Training stopped because its results could not be saved: ${reason}`,
    };
    this.host.stop(runId);
  }

  private finish(end: RunEnd): void {
    const { runId } = end;
    try {
      this.store.flushBatches();
    } catch (error) {
      this.logError('[runs] flushing batch metrics failed', error);
    }
    const failure = this.storeFailure?.runId === runId ? this.storeFailure : null;
    if (failure) this.storeFailure = null;
    let status: RunSummary['status'] = end.status;
    let message: string | null = end.message || null;
    if (failure) {
      status = 'failed';
      message = failure.message;
    } else if (this.closing && end.status === 'failed') {
      status = 'interrupted';
      message = 'VAE Studio closed during training; resume the run to continue from its last epoch.';
    } else if (end.status === 'completed') {
      message = null;
    }
    // Free the worker slot first: listeners of run:status (whenIdle) must see the service idle.
    if (this.current === runId) this.current = null;
    try {
      this.setStatus({ runId, status, message });
    } catch (error) {
      this.logError(`[runs] recording the end of run ${runId} failed`, error);
    }
    this.pump();
  }

  private endWithError(runId: string, error: unknown): void {
    const message = hasErrorCode(error)
      ? error.message
      : 'The run could not start; the details are in the log.';
    if (!hasErrorCode(error)) this.logError(`[runs] run ${runId} could not start`, error);
    if (this.current === runId) this.current = null;
    try {
      this.setStatus({ runId, status: 'failed', message });
    } catch (inner) {
      this.logError('[runs] recording a failed start failed', inner);
    }
    this.pump();
  }

  private setStatus(input: Parameters<RunStore['setStatus']>[0]): RunSummary {
    const run = this.store.setStatus(input);
    this.events.emit('run:status', { run });
    return run;
  }
}

/** Rejects hyperparameters the dataset cannot satisfy, naming the field. */
function checkFits(hp: Hyperparams, dataset: DatasetInfo): void {
  const trainCount = Math.min(hp.trainLimit ?? dataset.trainCount, dataset.trainCount);
  if (hp.batchSize > trainCount) {
    throw new AppError(
      'invalid_argument',
      `Batch size ${hp.batchSize} is larger than the training set (${trainCount} images); ` +
        'lower the batch size or use more training images.',
    );
  }
  try {
    planModel(modelSpecFor(hp, { height: dataset.height, width: dataset.width, channels: dataset.channels }));
  } catch (error) {
    if (error instanceof ModelSpecError) throw new AppError('invalid_argument', error.message);
    throw error;
  }
}
