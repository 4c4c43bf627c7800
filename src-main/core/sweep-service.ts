import type { CommandArg, EventPayload } from '../../shared/contract';
import type { BackendChoice } from '../../shared/hyperparams';
import { isResumable, isTerminal } from '../../shared/run-status';
import type { RunStatus } from '../../shared/run';
import {
  expandSweep,
  SweepSpecError,
  type SweepDetail,
  type SweepJobStatus,
  type SweepSummary,
} from '../../shared/sweep';
import { listDatasets } from '../datasets';
import type { RunStore } from '../store';
import { StoreError } from '../store/errors';
import type { SweepStore } from '../store/sweep-store';
import { AppError, hasErrorCode } from './app-error';
import type { EventBus } from './event-bus';
import type { RunService } from './run-service';

export interface SweepServiceOptions {
  sweeps: SweepStore;
  runs: RunService;
  store: RunStore;
  events: EventBus;
  dataDir: string;
  logError: (message: string, error: unknown) => void;
  /** How often this process refreshes the heartbeat of the jobs it holds. */
  heartbeatMs?: number;
}

/**
 * Works through sweep queues: claims a job, starts its run through the run
 * service (or resumes the run a dead process left), waits for it to end,
 * records the outcome, and claims the next. A run that fails or diverges is
 * recorded and the sweep goes on. The queue lives in SQLite, so another
 * process can work on the same sweep and a killed one loses nothing.
 */
export class SweepService {
  private readonly o: SweepServiceOptions;
  /** One loop per sweep this process works on, resolving when it has nothing left to claim. */
  private readonly loops = new Map<string, Promise<void>>();
  /** Jobs whose run the user asked to skip while it trained. */
  private readonly skipping = new Set<number>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private closing = false;

  constructor(options: SweepServiceOptions) {
    this.o = options;
  }

  /** Expands and checks the sweep, queues every run of it, and starts working on it. */
  async start(arg: CommandArg<'sweeps:start'>): Promise<SweepDetail> {
    let points;
    try {
      points = expandSweep(arg.spec);
    } catch (error) {
      if (error instanceof SweepSpecError) throw new AppError('invalid_argument', error.message);
      throw error;
    }
    const datasets = await listDatasets(this.o.dataDir);
    const name = arg.spec.base.dataset;
    if (!datasets.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
      throw new AppError(
        'not_found',
        `There is no dataset named "${name}"; choose one of ${datasets.map((d) => d.name).join(', ')} or import it first.`,
      );
    }
    const sweep = this.o.sweeps.createSweep({
      spec: arg.spec,
      points,
      ...(arg.name ? { name: arg.name } : {}),
      backend: arg.backend ?? 'auto',
    });
    this.emit(sweep.id);
    this.work(sweep.id);
    return sweep;
  }

  list(): SweepSummary[] {
    return this.o.sweeps.listSweeps();
  }

  get(sweepId: string): SweepDetail {
    return this.o.sweeps.getSweep(sweepId);
  }

  /** Stops handing out runs and stops the runs of this sweep that this process trains. */
  stop(sweepId: string): SweepDetail {
    const training = this.o.sweeps.stopSweep(sweepId);
    for (const runId of training) this.stopRun(runId);
    this.emit(sweepId);
    return this.get(sweepId);
  }

  /** Puts stopped and orphaned jobs back in the queue and works on them here. */
  resume(sweepId: string): SweepDetail {
    this.o.sweeps.reopenSweep(sweepId);
    this.emit(sweepId);
    this.work(sweepId);
    return this.get(sweepId);
  }

  skip(sweepId: string, jobId: number): SweepDetail {
    const { runId } = this.o.sweeps.skipJob(sweepId, jobId);
    if (runId) {
      this.skipping.add(jobId);
      this.stopRun(runId);
    }
    this.emit(sweepId);
    return this.get(sweepId);
  }

  move(sweepId: string, jobId: number, position: number): SweepDetail {
    this.o.sweeps.moveJob(sweepId, jobId, position);
    this.emit(sweepId);
    return this.get(sweepId);
  }

  /** Resolves when this process has nothing left to claim from the sweep. */
  whenDone(sweepId: string): Promise<void> {
    return this.loops.get(sweepId) ?? Promise.resolve();
  }

  /** Starts a worker loop on the sweep unless one runs already. */
  work(sweepId: string): void {
    if (this.loops.has(sweepId) || this.closing) return;
    const loop = this.loop(sweepId)
      .catch((error: unknown) => this.o.logError(`[sweeps] working on sweep ${sweepId} failed`, error))
      .finally(() => {
        this.loops.delete(sweepId);
        if (this.loops.size === 0) this.stopHeartbeat();
        this.emit(sweepId);
      });
    this.loops.set(sweepId, loop);
    this.startHeartbeat();
  }

  /** Sweeps with runs left to do (the app works on them at start when asked). */
  unfinished(): string[] {
    return this.o.sweeps
      .listSweeps()
      .filter((s) => s.status === 'queued' && s.done < s.total)
      .map((s) => s.id);
  }

  /** Claims nothing more; the run in training is interrupted by the run service's close. */
  close(): void {
    this.closing = true;
    this.stopHeartbeat();
  }

  /** Stops a run if this process queues or trains it; a run of another process answers `conflict`, ignored. */
  private stopRun(runId: string): void {
    try {
      this.o.runs.stop(runId);
    } catch (error) {
      if (!hasErrorCode(error)) throw error;
    }
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      try {
        this.o.sweeps.heartbeat();
      } catch (error) {
        this.o.logError('[sweeps] heartbeat failed', error);
      }
    }, this.o.heartbeatMs ?? 15_000);
    this.heartbeat.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private emit(sweepId: string): void {
    try {
      const { jobs: _jobs, ...sweep } = this.o.sweeps.getSweep(sweepId);
      this.o.events.emit('sweep:status', { sweep });
    } catch (error) {
      this.o.logError('[sweeps] reading a sweep for its event failed', error);
    }
  }

  private async loop(sweepId: string): Promise<void> {
    for (;;) {
      if (this.closing) return;
      const job = this.o.sweeps.claimNext(sweepId);
      if (!job) return;
      this.emit(sweepId);
      let runId = job.runId;
      let status: RunStatus;
      try {
        const existing = runId ? this.existingRun(runId) : null;
        if (runId && existing && !isResumable(existing) && isTerminal(existing)) {
          // The run ended but its process died before the job was recorded.
          status = existing;
        } else {
          if (runId && existing) {
            const ended = this.waitForEnd(runId);
            await this.o.runs.resume(runId);
            status = await ended;
          } else {
            const run = await this.o.runs.start({
              hyperparams: job.hyperparams,
              name: job.name,
              backend: job.backend as BackendChoice,
            });
            runId = run.id;
            const ended = this.waitForEnd(runId);
            this.o.sweeps.attachRun(job.jobId, runId);
            this.emit(sweepId);
            status = await ended;
          }
        }
      } catch (error) {
        const message = hasErrorCode(error)
          ? error.message
          : 'The run could not start; the details are in the log.';
        if (!hasErrorCode(error)) this.o.logError(`[sweeps] job ${job.jobId} could not start`, error);
        this.o.sweeps.finishJob(job.jobId, 'failed', message);
        this.emit(sweepId);
        continue;
      }
      if (this.closing && (status === 'interrupted' || status === 'stopped')) return;
      this.o.sweeps.finishJob(job.jobId, this.jobStatus(job.jobId, status), this.messageOf(runId));
      this.emit(sweepId);
    }
  }

  private existingRun(runId: string): RunStatus | null {
    try {
      return this.o.store.getRunSummary(runId).status;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'not_found') return null;
      throw error;
    }
  }

  private messageOf(runId: string | null): string | null {
    if (!runId) return null;
    try {
      return this.o.store.getRunSummary(runId).statusMessage;
    } catch {
      return null;
    }
  }

  private jobStatus(jobId: number, status: RunStatus): SweepJobStatus {
    if (this.skipping.delete(jobId)) return 'skipped';
    switch (status) {
      case 'completed':
      case 'failed':
      case 'diverged':
      case 'stopped':
        return status;
      default:
        return 'failed';
    }
  }

  /** Resolves with the run's terminal status (subscribed before the run can end). */
  private waitForEnd(runId: string): Promise<RunStatus> {
    return new Promise((resolve) => {
      const off = this.o.events.onAny((event, payload) => {
        if (event !== 'run:status') return;
        const { run } = payload as EventPayload<'run:status'>;
        if (run.id === runId && isTerminal(run.status)) {
          off();
          resolve(run.status);
        }
      });
    });
  }
}
