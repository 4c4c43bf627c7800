import type { CommandArg, CommandResult, EventPayload } from '../../shared/contract';
import { listDatasets } from '../datasets';
import type { RunStore } from '../store';
import type { NamedArray } from '../training/checkpoint';
import type { TrainingHost } from '../training/host';
import { type ModelSpec, modelSpecFor } from '../training/model-spec';
import { AppError } from './app-error';
import type { EventBus } from './event-bus';

/** The part of {@link TrainingHost} that decodes (tests hand in a fake). */
export type DecodeHost = Pick<TrainingHost, 'decode'>;

export interface DecodeServiceOptions {
  store: RunStore;
  host: DecodeHost;
  events: EventBus;
  dataDir: string;
}

interface Weights {
  /** Unique per read of the store: the worker caches its decoder under it. */
  key: string;
  spec: ModelSpec;
  weights: NamedArray[];
}

const cacheSize = 8;

/**
 * runs:decode. Reads a run's decoder weights once per epoch (a hover decodes
 * one point at a time) and has a worker decode: the conv decoder costs
 * seconds for a manifold, which on the main thread would stall every IPC
 * and WebSocket message meanwhile.
 */
export class DecodeService {
  private readonly store: RunStore;
  private readonly host: DecodeHost;
  private readonly dataDir: string;
  private readonly cache = new Map<string, Weights>();
  private reads = 0;

  constructor(options: DecodeServiceOptions) {
    this.store = options.store;
    this.host = options.host;
    this.dataDir = options.dataDir;
    // An epoch recorded again (a resumed run retrains the epochs after its checkpoint) has new weights.
    options.events.onAny((event, payload) => {
      if (event !== 'run:epoch') return;
      const { runId, metrics } = payload as EventPayload<'run:epoch'>;
      this.cache.delete(`${runId}:${metrics.epoch}`);
    });
  }

  /** Decodes latent points with the decoder of an epoch (the latest when omitted). */
  async decode(arg: CommandArg<'runs:decode'>): Promise<CommandResult<'runs:decode'>> {
    const { latentDim } = this.store.getRunSummary(arg.runId).hyperparams;
    for (const point of arg.points) {
      if (point.length !== latentDim) {
        throw new AppError(
          'invalid_argument',
          `Each point must have ${latentDim} coordinates (the run's latent dimension), not ${point.length}.`,
        );
      }
    }
    const weights = await this.weights(arg.runId, arg.epoch);
    const points = new Float32Array(arg.points.length * latentDim);
    arg.points.forEach((point, i) => points.set(point, i * latentDim));
    return this.host.decode({ ...weights, points, count: arg.points.length });
  }

  /** The weights of `epoch`, the latest stored when omitted. */
  private async weights(runId: string, epoch: number | undefined): Promise<Weights> {
    const run = this.store.getRunSummary(runId);
    const cached = this.cache.get(`${runId}:${epoch ?? run.epochsDone}`);
    if (cached) return cached;
    const stored = this.store.getDecoderWeights(runId, epoch);
    const all = await listDatasets(this.dataDir);
    const dataset = all.find((d) => d.name.toLowerCase() === run.hyperparams.dataset.toLowerCase());
    if (!dataset) {
      throw new AppError(
        'not_found',
        `The dataset "${run.hyperparams.dataset}" of run "${run.name}" is gone; import it again to decode with this run.`,
      );
    }
    const entry: Weights = {
      key: `${runId}:${stored.epoch}:${++this.reads}`,
      spec: modelSpecFor(run.hyperparams, {
        height: dataset.height,
        width: dataset.width,
        channels: dataset.channels,
      }),
      weights: stored.weights,
    };
    this.cache.set(`${runId}:${stored.epoch}`, entry);
    // Insertion order is age: drop the oldest beyond the cache size.
    if (this.cache.size > cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }
}
