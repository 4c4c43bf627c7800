import type {
  AppInfo,
  CommandArg,
  CommandName,
  CommandResult,
  DatasetInfo,
  EventName,
  EventPayload,
  RunComparison,
  RunDetail,
  VaeApi,
} from '../../../shared/contract';
import { hyperparamsSchema, presets, type Hyperparams } from '../../../shared/hyperparams';
import { err, ok, type ErrorCode, type Result } from '../../../shared/result';
import type { EpochMetrics, LossTerms, RunStatus, RunSummary, Snapshot } from '../../../shared/run';

/**
 * An in-memory {@link VaeApi} for renderer tests (and for looking at the UI
 * before the real core exists): runs, datasets, snapshots with synthetic but
 * structured figures, decoding that maps a latent point to a recognisable
 * image, and events emitted on demand. No Node or DOM imports: it also runs in a page.
 */

type Handler<K extends CommandName> = (
  arg: CommandArg<K>,
) => Result<CommandResult<K>> | Promise<Result<CommandResult<K>>>;

/** A run as the fake keeps it. */
export interface FakeRun {
  summary: RunSummary;
  epochs: EpochMetrics[];
  batches: [number, number, number, number][];
  /** Latent dimension and test-set size of its snapshots. */
  testCount: number;
}

/** What a test may set on a fake run; hyperparameters default to the Keras blog preset. */
export type AddRunOptions = Omit<Partial<RunSummary>, 'hyperparams'> & {
  epochsDone?: number;
  hyperparams?: Partial<Hyperparams>;
  testCount?: number;
};

export interface FakeApi extends VaeApi {
  /** Every call, in order. */
  calls: { name: CommandName; arg: unknown }[];
  /** Calls of one command. */
  callsOf<K extends CommandName>(name: K): CommandArg<K>[];
  /** Pushes an event to the listeners, as the core would. */
  emit<K extends EventName>(event: K, payload: EventPayload<K>): void;
  /** Replaces a command's behaviour. */
  handle<K extends CommandName>(name: K, handler: Handler<K>): void;
  /** Makes every later call of a command fail with this code and message. */
  fail(name: CommandName, code: ErrorCode, message: string): void;
  listenerCount(event: EventName): number;
  info: AppInfo;
  datasets: DatasetInfo[];
  runs: Map<string, FakeRun>;
  /** Adds a run with `epochsDone` finished epochs. */
  addRun(options?: AddRunOptions): FakeRun;
  /** Simulates training a run with timers (for looking at the UI); resolves when done or stopped. */
  train(runId: string, options?: { stepsPerEpoch?: number; tickMs?: number }): Promise<void>;
}

export const fakeInfo: AppInfo = {
  name: 'VAE Studio',
  version: '0.1.0-test',
  backends: [
    { name: 'tensorflow', available: false, detail: 'tfjs-node is not installed' },
    { name: 'wasm', available: true, detail: 'WebAssembly' },
    { name: 'cpu', available: true, detail: 'CPU (pure JS)' },
  ],
  dataDir: '/tmp/vae-studio-test',
  platform: 'linux',
  arch: 'x64',
  shell: 'browser',
  canChoosePaths: false,
  notices: [],
};

export const mnistInfo: DatasetInfo = {
  name: 'mnist',
  source: 'bundled',
  hash: 'sha256-mnist',
  trainCount: 60000,
  testCount: 10000,
  height: 28,
  width: 28,
  channels: 1,
  labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  createdAt: '2024-01-01T00:00:00.000Z',
};

/** A small seeded generator, so fake figures are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const side = 28;

/**
 * The fake decoder: a bright blob whose position follows z[0] (right) and
 * z[1] (up), and whose size follows z[2]. A manifold of it shows at a glance
 * whether rows and columns are in the notebook's orientation.
 */
export function fakeDecode(z: readonly number[], out = new Uint8Array(side * side), offset = 0): Uint8Array {
  const cx = 14 + 5 * (z[0] ?? 0);
  const cy = 14 - 5 * (z[1] ?? 0);
  const r = Math.max(2, 4 + (z[2] ?? 0));
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const d = Math.hypot(x - cx, y - cy) / r;
      out[offset + y * side + x] = Math.round(255 * Math.max(0, Math.min(1, 1.4 - d * d)));
    }
  }
  return out;
}

/** A digit-like test image: a ring per class, with a stroke whose angle follows the class. */
export function fakeOriginal(label: number, index: number, out: Uint8Array, offset: number): void {
  const angle = (label / 10) * Math.PI * 2;
  const radius = 6 + (index % 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dx = x - 14;
      const dy = y - 14;
      const ring = Math.abs(Math.hypot(dx, dy) - radius) < 1.6;
      const along = dx * Math.cos(angle) + dy * Math.sin(angle);
      const across = -dx * Math.sin(angle) + dy * Math.cos(angle);
      const stroke = Math.abs(across) < 1.3 && along > 0 && along < 11;
      out[offset + y * side + x] = ring || stroke ? 255 : 0;
    }
  }
}

/** Synthetic snapshot: ten clusters that separate as epochs go by. */
export function makeSnapshot(options: {
  epoch: number;
  latentDim?: number;
  count?: number;
  seed?: number;
}): Snapshot {
  const { epoch } = options;
  const latentDim = options.latentDim ?? 2;
  const count = options.count ?? 1000;
  const random = rng((options.seed ?? 7) * 1000 + epoch);
  const spread = Math.min(1, 0.25 + epoch * 0.15);
  const zMu = new Float32Array(count * latentDim);
  const zLogVar = new Float32Array(count * latentDim);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = label;
    const a = (label / 10) * Math.PI * 2;
    for (let d = 0; d < latentDim; d++) {
      const centre =
        d === 0
          ? Math.cos(a) * 1.6 * spread
          : d === 1
            ? Math.sin(a) * 1.6 * spread
            : d === 2
              ? ((label % 3) - 1) * 0.8
              : 0;
      const noise = d < 3 ? 0.35 : 0.05;
      zMu[i * latentDim + d] = centre + noise * normal(random);
      zLogVar[i * latentDim + d] = d < 3 ? -2 : -0.01;
    }
  }
  const galleryIndices = Array.from({ length: 10 }, (_, i) => i);
  const size = side * side;
  const original = new Uint8Array(10 * size);
  const mean = new Uint8Array(10 * size);
  const sampled = new Uint8Array(10 * size);
  galleryIndices.forEach((index, k) => {
    fakeOriginal(labels[index] as number, index, original, k * size);
    const z = Array.from(zMu.subarray(index * latentDim, (index + 1) * latentDim));
    fakeDecode(z, mean, k * size);
    fakeDecode(
      z.map((v) => v + 0.3 * normal(random)),
      sampled,
      k * size,
    );
  });
  const n = 20;
  const range = 2;
  const manifold = new Uint8Array(n * n * size);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const z = new Array<number>(latentDim).fill(0);
      z[0] = -range + (2 * range * col) / (n - 1);
      if (latentDim > 1) z[1] = range - (2 * range * row) / (n - 1);
      fakeDecode(z, manifold, (row * n + col) * size);
    }
  }
  const priorCount = 20;
  const prior = new Uint8Array(priorCount * size);
  for (let i = 0; i < priorCount; i++) {
    fakeDecode(
      Array.from({ length: latentDim }, () => normal(random)),
      prior,
      i * size,
    );
  }
  return {
    epoch,
    imageShape: { height: side, width: side, channels: 1 },
    galleryIndices,
    gallery: { original, mean, sampled },
    latent: { count, latentDim, zMu, zLogVar, labels },
    manifold: { n, range, dims: [0, Math.min(1, latentDim - 1)], images: manifold },
    prior: { count: priorCount, images: prior },
    klPerDim: Array.from({ length: latentDim }, (_, d) => (d < 2 ? 3.1 - d * 0.4 : d === 2 ? 0.6 : 0.004)),
  };
}

function terms(loss: number, kl: number): LossTerms {
  return { loss, recon: loss - kl, kl };
}

/** Plausible metrics of epoch `e` (the notebook's curve shape). */
export function fakeEpoch(e: number, shift = 0): EpochMetrics {
  const test = 150 + shift + 40 / e;
  return {
    epoch: e,
    train: terms(test + 2 + 30 / e, 6 + 0.1 * e),
    test: terms(test, 6 + 0.1 * e),
    beta: 1,
    seconds: 16,
    samplesPerSecond: 3750,
  };
}

const defaultHyperparams: Hyperparams = (presets[0] as (typeof presets)[number]).hyperparams;

/** Creates a fake API with MNIST and no runs. */
export function createFakeApi(): FakeApi {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const handlers = new Map<CommandName, Handler<CommandName>>();
  const failures = new Map<CommandName, { code: ErrorCode; message: string }>();
  const runs = new Map<string, FakeRun>();
  const snapshots = new Map<string, Snapshot>();
  const datasets: DatasetInfo[] = [{ ...mnistInfo }];
  const calls: { name: CommandName; arg: unknown }[] = [];
  const info: AppInfo = structuredClone(fakeInfo);
  let nextId = 1;
  let clock = Date.parse('2024-05-01T10:00:00.000Z');
  const stopRequested = new Set<string>();

  function emit<K extends EventName>(event: K, payload: EventPayload<K>): void {
    for (const l of [...(listeners.get(event) ?? [])]) (l as (p: EventPayload<K>) => void)(payload);
  }

  function newSummary(options: AddRunOptions = {}): RunSummary {
    const id = options.id ?? `run-${nextId++}`;
    const hyperparams = { ...defaultHyperparams, ...options.hyperparams };
    clock += 60_000;
    return {
      id,
      name:
        options.name ??
        `${hyperparams.dataset} ${hyperparams.arch} z${hyperparams.latentDim} #${id.replace('run-', '')}`,
      status: options.status ?? 'completed',
      createdAt: options.createdAt ?? new Date(clock).toISOString(),
      finishedAt: options.finishedAt ?? null,
      hyperparams,
      datasetHash: 'sha256-mnist',
      backend: options.backend ?? 'wasm',
      device: options.device ?? 'WebAssembly',
      appVersion: '0.1.0-test',
      notes: options.notes ?? '',
      tags: options.tags ?? [],
      epochsDone: options.epochsDone ?? 0,
      lastTest: options.lastTest ?? null,
      statusMessage: options.statusMessage ?? null,
    };
  }

  function addRun(options: AddRunOptions = {}): FakeRun {
    const done = options.epochsDone ?? 3;
    const h = { ...defaultHyperparams, ...options.hyperparams };
    // Runs differ a little, as real ones would: a wider latent space reconstructs better, a larger β worse.
    const shift = (h.latentDim > 2 ? -45 : 0) + (h.beta - 1) * 4;
    const epochs = Array.from({ length: done }, (_, i) => fakeEpoch(i + 1, shift));
    const summary = newSummary({ ...options, epochsDone: done, lastTest: epochs[done - 1]?.test ?? null });
    const batches: [number, number, number, number][] = [];
    for (let s = 1; s <= done * 10; s++) {
      const e = fakeEpoch(Math.ceil(s / 10));
      batches.push([s * 94, e.train.loss + 5 * Math.sin(s), e.train.recon, e.train.kl]);
    }
    const run: FakeRun = { summary, epochs, batches, testCount: options.testCount ?? 1000 };
    runs.set(summary.id, run);
    return run;
  }

  function snapshotOf(run: FakeRun, epoch: number): Snapshot {
    const key = `${run.summary.id}:${epoch}`;
    let snap = snapshots.get(key);
    if (!snap) {
      snap = makeSnapshot({ epoch, latentDim: run.summary.hyperparams.latentDim, count: run.testCount });
      snapshots.set(key, snap);
    }
    return snap;
  }

  function getRun(runId: string): FakeRun | Result<never> {
    return runs.get(runId) ?? err('not_found', `No run "${runId}".`);
  }
  const isResult = (v: unknown): v is Result<never> => typeof v === 'object' && v !== null && 'ok' in v;

  function setStatus(run: FakeRun, status: RunStatus, message: string | null = null): void {
    run.summary = { ...run.summary, status, statusMessage: message };
    emit('run:status', { run: run.summary });
  }

  const builtins: { [K in CommandName]: Handler<K> } = {
    'app:info': () => ok(info),
    'app:choosePaths': () =>
      err(
        'unavailable',
        'A file dialog needs the desktop app. Type the paths on the disk of the machine running VAE Studio instead.',
      ),
    'datasets:list': () => ok(datasets.slice()),
    'datasets:images': ({ name, split, indices }) => {
      const d = datasets.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (!d) return err('not_found', `No dataset "${name}".`);
      if (indices.length === 0 || indices.length > 1024)
        return err('invalid_argument', 'At most 1024 images per call.');
      const count = split === 'train' ? d.trainCount : d.testCount;
      const bad = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= count);
      if (bad !== undefined)
        return err(
          'invalid_argument',
          `Image ${bad} does not exist: the ${split} set holds ${count} images.`,
        );
      const size = side * side;
      const images = new Uint8Array(indices.length * size);
      // Test image i has label i % 10, as in the fake snapshots, so hover and gallery line up with them.
      const labels = Uint8Array.from(indices, (i) => i % 10);
      indices.forEach((index, k) => fakeOriginal(index % 10, index, images, k * size));
      return ok({ images, labels, count: indices.length, height: side, width: side, channels: 1 });
    },
    'datasets:import': (arg) => {
      emit('dataset:progress', { name: arg.name, done: 0, total: 600 });
      const d: DatasetInfo = {
        ...mnistInfo,
        name: arg.name,
        source: arg.kind,
        hash: `sha256-${arg.name}`,
        trainCount: 500,
        testCount: 100,
        channels: arg.kind === 'folder' ? arg.channels : 1,
      };
      datasets.push(d);
      return ok(d);
    },
    'runs:start': (arg) => {
      const parsed = hyperparamsSchema.safeParse(arg.hyperparams);
      if (!parsed.success)
        return err('invalid_argument', parsed.error.issues[0]?.message ?? 'Invalid hyperparameters.');
      const summary = newSummary({
        status: 'queued',
        hyperparams: parsed.data,
        epochsDone: 0,
        backend: null,
        device: null,
        ...(arg.name ? { name: arg.name } : {}),
      });
      runs.set(summary.id, { summary, epochs: [], batches: [], testCount: 1000 });
      return ok(summary);
    },
    'runs:stop': ({ runId }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      if (!['queued', 'running'].includes(run.summary.status))
        return err('conflict', 'This run is not running.');
      stopRequested.add(runId);
      setStatus(run, 'stopped', 'Stopped by the user.');
      return ok(run.summary);
    },
    'runs:resume': ({ runId }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      if (['queued', 'running', 'completed'].includes(run.summary.status))
        return err('conflict', 'This run cannot be resumed.');
      stopRequested.delete(runId);
      setStatus(run, 'queued');
      return ok(run.summary);
    },
    'runs:list': (arg) => {
      let list = [...runs.values()].map((r) => r.summary);
      if (arg.status) list = list.filter((r) => arg.status?.includes(r.status));
      if (arg.dataset) list = list.filter((r) => r.hyperparams.dataset === arg.dataset);
      if (arg.text) {
        const t = arg.text.toLowerCase();
        list = list.filter((r) => `${r.name} ${r.notes}`.toLowerCase().includes(t));
      }
      const key = arg.sort ?? 'createdAt';
      list.sort((a, b) =>
        key === 'testLoss'
          ? (a.lastTest?.loss ?? Infinity) - (b.lastTest?.loss ?? Infinity)
          : String(a[key]).localeCompare(String(b[key])),
      );
      if (arg.descending) list.reverse();
      return ok(list.slice(0, arg.limit ?? list.length));
    },
    'runs:get': ({ runId }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      const detail: RunDetail = {
        ...run.summary,
        epochs: run.epochs.slice(),
        batches: run.batches.slice(),
        snapshotEpochs: run.epochs.map((e) => e.epoch),
        checkpointEpoch: run.epochs.length ? run.epochs.length : null,
      };
      return ok(detail);
    },
    'runs:snapshot': ({ runId, epoch }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      const e = epoch ?? run.epochs.length;
      if (e < 1 || e > run.epochs.length)
        return err('not_found', `Run "${run.summary.name}" has no snapshot at epoch ${e}.`);
      return ok(snapshotOf(run, e));
    },
    'runs:decode': ({ runId, points }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      if (points.length > 1024) return err('invalid_argument', 'At most 1024 points per call.');
      const images = new Uint8Array(points.length * side * side);
      points.forEach((p, i) => fakeDecode(p, images, i * side * side));
      return ok({ images, count: points.length });
    },
    'runs:update': ({ runId, name, notes, tags }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      run.summary = {
        ...run.summary,
        ...(name !== undefined ? { name } : {}),
        ...(notes !== undefined ? { notes } : {}),
        ...(tags ? { tags } : {}),
      };
      return ok(run.summary);
    },
    'runs:delete': ({ runId }) => {
      if (!runs.delete(runId)) return err('not_found', `No run "${runId}".`);
      return ok({ deleted: true as const });
    },
    'runs:compare': ({ runIds }) => {
      const picked: FakeRun[] = [];
      for (const id of runIds) {
        const run = runs.get(id);
        if (!run) return err('not_found', `No run "${id}".`);
        picked.push(run);
      }
      const max = Math.max(0, ...picked.map((r) => r.epochs.length));
      const epochs = Array.from({ length: max }, (_, i) => i + 1);
      const keys = Object.keys(defaultHyperparams) as (keyof Hyperparams)[];
      const table = keys.map((key) => {
        const values = picked.map((r) => r.summary.hyperparams[key]);
        const texts = values.map((v) => JSON.stringify(v));
        return { key, values, differs: new Set(texts).size > 1 };
      });
      const comparison: RunComparison = {
        runs: picked.map((r) => r.summary),
        epochs,
        series: picked.map((r) => ({
          runId: r.summary.id,
          train: epochs.map((e) => r.epochs[e - 1]?.train ?? null),
          test: epochs.map((e) => r.epochs[e - 1]?.test ?? null),
        })),
        table,
      };
      return ok(comparison);
    },
    'runs:export': ({ runId, dir }) => {
      const run = getRun(runId);
      if (isResult(run)) return run;
      return ok({
        dir,
        files: [
          'loss.png',
          'gallery.png',
          'latent.png',
          'manifold.png',
          'metrics.csv',
          'hyperparams.json',
          'model/model.json',
        ],
      });
    },
  };

  async function invoke(name: CommandName, arg: unknown): Promise<Result<unknown>> {
    calls.push({ name, arg });
    await Promise.resolve();
    const failure = failures.get(name);
    if (failure) return err(failure.code, failure.message);
    const handler = (handlers.get(name) ?? builtins[name]) as (
      a: unknown,
    ) => Result<unknown> | Promise<Result<unknown>>;
    return handler(arg);
  }

  const call = {} as Record<CommandName, (arg: unknown) => Promise<Result<unknown>>>;
  for (const name of Object.keys(builtins) as CommandName[]) call[name] = (arg) => invoke(name, arg);

  async function train(
    runId: string,
    options: { stepsPerEpoch?: number; tickMs?: number } = {},
  ): Promise<void> {
    const run = runs.get(runId);
    if (!run) return;
    const steps = options.stepsPerEpoch ?? 40;
    const tick = options.tickMs ?? 100;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(tick);
    run.summary = { ...run.summary, backend: 'wasm', device: 'WebAssembly' };
    setStatus(run, 'running');
    for (let e = run.epochs.length + 1; e <= run.summary.hyperparams.epochs; e++) {
      const metrics = fakeEpoch(e);
      for (let s = 1; s <= steps; s++) {
        if (stopRequested.has(runId)) return;
        await sleep(tick);
        const wobble = 1 + 0.03 * Math.sin(s * 1.7 + e);
        const train = terms(metrics.train.loss * wobble + 25 / (e + s / steps), metrics.train.kl);
        run.batches.push([(e - 1) * steps + s, train.loss, train.recon, train.kl]);
        emit('run:progress', {
          runId,
          epoch: e,
          step: s,
          stepsPerEpoch: steps,
          train,
          samplesPerSecond: 3500 + 300 * Math.sin(s),
        });
      }
      run.epochs.push(metrics);
      run.summary = { ...run.summary, epochsDone: e, lastTest: metrics.test };
      emit('run:epoch', { runId, metrics });
    }
    run.summary = { ...run.summary, finishedAt: new Date(clock).toISOString() };
    setStatus(run, 'completed');
  }

  return {
    call: call as unknown as VaeApi['call'],
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    calls,
    callsOf: <K extends CommandName>(name: K) =>
      calls.filter((c) => c.name === name).map((c) => c.arg as CommandArg<K>),
    emit,
    handle(name, handler) {
      handlers.set(name, handler as unknown as Handler<CommandName>);
    },
    fail(name, code, message) {
      failures.set(name, { code, message });
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
    info,
    datasets,
    runs,
    addRun,
    train,
  };
}
