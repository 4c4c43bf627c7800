import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { DatasetInfo, Notice, RunComparison, RunDetail, RunSortKey } from '../../shared/contract';
import { hyperparamsSchema, type BackendName, type Hyperparams } from '../../shared/hyperparams';
import { datasetNameRule, isDatasetName, runNameMaxLength } from '../../shared/names';
import {
  runStatuses,
  type EpochMetrics,
  type LossTerms,
  type RunStatus,
  type RunSummary,
  type Snapshot,
} from '../../shared/run';
import { decodeChunks, encodeChunks, thinSeries, type ChunkRow } from './batch-chunks';
import { blobToFloat32, blobToFloat64, blobToInt32, blobToUint8, toBlob } from './blobs';
import { StoreError, toStoreError } from './errors';
import {
  decodeCheckpoint,
  decodeTensors,
  encodeCheckpoint,
  encodeTensors,
  type Checkpoint,
} from './tensor-codec';
import type {
  BatchMetricsRow,
  CreateRunInput,
  DecoderWeights,
  ListRunsQuery,
  RecordEpochInput,
  SetStatusInput,
  UpdateRunInput,
} from './types';

/** Most batch points {@link RunStore.getRun} returns; more are averaged into buckets. */
export const maxBatchPoints = 2000;

/**
 * Status changes the store accepts. A finished run (any terminal status) may
 * only be queued or started again (resume); anything else is a race in the
 * caller (e.g. a stop arriving after the run completed) and fails with `conflict`.
 */
const allowedTransitions: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'stopped', 'failed', 'interrupted'],
  running: ['completed', 'stopped', 'failed', 'diverged', 'interrupted'],
  completed: ['queued', 'running'],
  stopped: ['queued', 'running'],
  failed: ['queued', 'running'],
  diverged: ['queued', 'running'],
  interrupted: ['queued', 'running'],
};
const terminalStatuses: readonly RunStatus[] = ['completed', 'stopped', 'failed', 'diverged', 'interrupted'];

/**
 * This machine, and on Linux this boot of it: a pid recorded before a reboot
 * may belong to an unrelated process now, so runs of an earlier boot count as
 * orphaned whatever their pid.
 */
function hostIdentity(): string {
  try {
    return `${hostname()} boot ${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
  } catch {
    return hostname();
  }
}

/** Tokens of the stores open in this process: their runs are alive even though the pid is ours. */
const liveTokens = new Set<string>();

interface RunRow {
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

interface OwnerRow {
  id: string;
  status: RunStatus;
  owner_pid: number | null;
  owner_host: string | null;
  owner_token: string | null;
}

interface EpochRow {
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

interface SnapshotRow {
  epoch: number;
  image_height: number;
  image_width: number;
  image_channels: number;
  gallery_indices: Buffer;
  gallery_original: Buffer;
  gallery_mean: Buffer;
  gallery_sampled: Buffer;
  latent_count: number;
  latent_dim: number;
  z_mu: Buffer;
  z_log_var: Buffer;
  labels: Buffer;
  manifold_n: number;
  manifold_range: number;
  manifold_dim_x: number;
  manifold_dim_y: number;
  manifold_images: Buffer;
  prior_count: number;
  prior_images: Buffer;
  kl_per_dim: Buffer;
}

interface DatasetRow {
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

const runColumnNames = [
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
const runColumns = runColumnNames.join(', ');

const epochColumnNames = [
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
const epochColumns = epochColumnNames.join(', ');

/**
 * Lists read rows as arrays (`.raw()`) and name them here: better-sqlite3
 * building a keyed object per row costs about twice the query on 1,000 runs.
 */
function zip<T>(names: readonly (keyof T & string)[], tuple: readonly unknown[]): T {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = tuple[i];
  return row as T;
}

/** SQLite stores NaN as NULL (better-sqlite3 binds NaN so); read it back as NaN. */
function num(value: number | null): number {
  return value ?? Number.NaN;
}

function terms(loss: number | null, recon: number | null, kl: number | null): LossTerms {
  return { loss: num(loss), recon: num(recon), kl: num(kl) };
}

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    // Validated by hyperparamsSchema when the run was created; not re-parsed on every list.
    hyperparams: JSON.parse(row.hyperparams) as Hyperparams,
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

function toEpochMetrics(row: EpochRow): EpochMetrics {
  return {
    epoch: row.epoch,
    train: terms(row.train_loss, row.train_recon, row.train_kl),
    test: terms(row.test_loss, row.test_recon, row.test_kl),
    beta: row.beta,
    seconds: row.seconds,
    samplesPerSecond: row.samples_per_second,
  };
}

function toDatasetInfo(row: DatasetRow): DatasetInfo {
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

function invalid(message: string): StoreError {
  return new StoreError('invalid_input', message);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** Checks that a snapshot's arrays have the sizes its counts announce. */
function checkSnapshot(s: Snapshot): void {
  const { height, width, channels } = s.imageShape;
  if (![height, width].every(isPositiveInt) || (channels !== 1 && channels !== 3)) {
    throw invalid(`Snapshot of epoch ${s.epoch}: image shape ${height}×${width}×${channels} is not valid.`);
  }
  const pixels = height * width * channels;
  const expect = (
    what: string,
    array: ArrayLike<number> & { constructor: unknown },
    type: unknown,
    length: number,
  ) => {
    if (!(array instanceof (type as typeof Uint8Array)) || array.length !== length) {
      throw invalid(
        `Snapshot of epoch ${s.epoch}: ${what} must be a ${(type as { name: string }).name} of ${length} values` +
          ` (got ${array.length}).`,
      );
    }
  };
  const g = s.galleryIndices.length;
  expect('gallery.original', s.gallery.original, Uint8Array, g * pixels);
  expect('gallery.mean', s.gallery.mean, Uint8Array, g * pixels);
  expect('gallery.sampled', s.gallery.sampled, Uint8Array, g * pixels);
  const { count, latentDim } = s.latent;
  expect('latent.zMu', s.latent.zMu, Float32Array, count * latentDim);
  expect('latent.zLogVar', s.latent.zLogVar, Float32Array, count * latentDim);
  expect('latent.labels', s.latent.labels, Uint8Array, count);
  expect('manifold.images', s.manifold.images, Uint8Array, s.manifold.n * s.manifold.n * pixels);
  expect('prior.images', s.prior.images, Uint8Array, s.prior.count * pixels);
  if (s.klPerDim.length !== latentDim) {
    throw invalid(
      `Snapshot of epoch ${s.epoch}: klPerDim must hold ${latentDim} values (got ${s.klPerDim.length}).`,
    );
  }
}

function likePattern(text: string): string {
  // Escape LIKE's wildcards so that "50%" matches literally.
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function cleanTags(tags: string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag.length === 0 || tag.length > 50) throw invalid(`Tag "${raw}" must be 1 to 50 characters.`);
    if (!out.includes(tag)) out.push(tag);
  }
  if (out.length > 50) throw invalid('A run has at most 50 tags.');
  return out;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What {@link RunStore}'s constructor needs; {@link openStore} assembles it. */
export interface RunStoreInit {
  db: Database.Database;
  path: string;
  appVersion: string;
  batchFlushRows: number;
  now: () => Date;
  notices: Notice[];
}

/**
 * All persistent state of runs and datasets, on one better-sqlite3 connection.
 *
 * Calls are synchronous and short (a list of 1,000 runs or a 20-run comparison
 * takes a few milliseconds). Every failure is a {@link StoreError}. Open it with
 * {@link openStore}; close it with {@link RunStore.close}.
 */
export class RunStore {
  /** The database file. */
  readonly path: string;
  /** What happened while opening (database moved aside, runs marked interrupted), for the user. */
  readonly notices: Notice[];

  private readonly db: Database.Database;
  private readonly appVersion: string;
  private readonly batchFlushRows: number;
  private readonly now: () => Date;
  /** Identifies this store as the owner of the runs it queues or runs (see {@link markInterrupted}). */
  private readonly ownerToken = randomUUID();
  private readonly host = hostIdentity();
  /** Batch rows not yet written, per run, in arrival order. */
  private readonly pending = new Map<string, BatchMetricsRow[]>();
  private pendingCount = 0;
  private readonly listStatements = new Map<
    string,
    Database.Statement<[Record<string, unknown>], unknown[]>
  >();
  private readonly s;

  /** @internal Use {@link openStore}. */
  constructor(init: RunStoreInit) {
    this.db = init.db;
    this.path = init.path;
    this.appVersion = init.appVersion;
    this.batchFlushRows = init.batchFlushRows;
    this.now = init.now;
    this.notices = init.notices;
    liveTokens.add(this.ownerToken);
    const db = this.db;
    this.s = {
      runById: db.prepare<[string], RunRow>(`SELECT ${runColumns} FROM runs WHERE id = ?`),
      runExists: db.prepare<[string], { status: RunStatus }>('SELECT status FROM runs WHERE id = ?'),
      countRuns: db.prepare<[], number>('SELECT count(*) FROM runs').pluck(),
      insertRun: db.prepare<[Record<string, unknown>]>(`
        INSERT INTO runs (id, name, status, created_at, started_at, hyperparams, dataset, dataset_hash, arch,
          latent_dim, epochs, batch_size, learning_rate, beta, seed, backend, device, app_version, notes, tags,
          owner_pid, owner_host, owner_token)
        VALUES (@id, @name, @status, @createdAt, @startedAt, @hyperparams, @dataset, @datasetHash, @arch,
          @latentDim, @epochs, @batchSize, @learningRate, @beta, @seed, @backend, @device, @appVersion, @notes,
          @tags, @ownerPid, @ownerHost, @ownerToken)`),
      // COALESCE keeps started_at/backend/device when the caller does not set them.
      setStatus: db.prepare<[Record<string, unknown>]>(`
        UPDATE runs SET status = @status, status_message = @message,
          started_at = CASE WHEN @status = 'running' THEN @now ELSE started_at END,
          finished_at = @finishedAt,
          backend = COALESCE(@backend, backend), device = COALESCE(@device, device),
          owner_pid = @ownerPid, owner_host = @ownerHost, owner_token = @ownerToken
        WHERE id = @runId`),
      updateRun: db.prepare<[Record<string, unknown>]>(`
        UPDATE runs SET name = COALESCE(@name, name), notes = COALESCE(@notes, notes), tags = COALESCE(@tags, tags)
        WHERE id = @runId`),
      deleteRun: db.prepare<[string]>('DELETE FROM runs WHERE id = ?'),
      // REPLACE: a resumed epoch may re-send a chunk that starts at a step already stored.
      insertChunk: db.prepare<[Record<string, unknown>]>(`
        INSERT OR REPLACE INTO batch_metrics (run_id, first_step, epoch, count, steps, loss, recon, kl)
        VALUES (@runId, @firstStep, @epoch, @count, @steps, @loss, @recon, @kl)`),
      upsertEpoch: db.prepare<[Record<string, unknown>]>(`
        INSERT OR REPLACE INTO epoch_metrics (${epochColumns})
        VALUES (@runId, @epoch, @trainLoss, @trainRecon, @trainKl, @testLoss, @testRecon, @testKl,
          @beta, @seconds, @samplesPerSecond)`),
      upsertSnapshot: db.prepare<[Record<string, unknown>]>(`
        INSERT OR REPLACE INTO snapshots (run_id, epoch, image_height, image_width, image_channels,
          gallery_indices, gallery_original, gallery_mean, gallery_sampled, latent_count, latent_dim, z_mu,
          z_log_var, labels, manifold_n, manifold_range, manifold_dim_x, manifold_dim_y, manifold_images,
          prior_count, prior_images, kl_per_dim)
        VALUES (@runId, @epoch, @height, @width, @channels, @galleryIndices, @galleryOriginal, @galleryMean,
          @gallerySampled, @latentCount, @latentDim, @zMu, @zLogVar, @labels, @manifoldN, @manifoldRange,
          @manifoldDimX, @manifoldDimY, @manifoldImages, @priorCount, @priorImages, @klPerDim)`),
      upsertCheckpoint: db.prepare<[string, number, Buffer, string]>(
        'INSERT OR REPLACE INTO checkpoints (run_id, epoch, data, created_at) VALUES (?, ?, ?, ?)',
      ),
      upsertDecoder: db.prepare<[string, number, Buffer]>(
        'INSERT OR REPLACE INTO decoder_weights (run_id, epoch, data) VALUES (?, ?, ?)',
      ),
      // Row-value UPDATE: copy the latest epoch's test losses into the run row (0 epochs → NULLs).
      refreshSummary: db.prepare<[{ runId: string }]>(`
        UPDATE runs SET (epochs_done, last_test_loss, last_test_recon, last_test_kl) = (
          SELECT coalesce(max(epoch), 0), test_loss, test_recon, test_kl FROM (
            SELECT epoch, test_loss, test_recon, test_kl FROM epoch_metrics
            WHERE run_id = @runId ORDER BY epoch DESC LIMIT 1))
        WHERE id = @runId`),
      epochsOf: db.prepare<[string], EpochRow>(
        `SELECT ${epochColumns} FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`,
      ),
      // json_each binds a list of ids as one parameter, so one prepared statement serves any count.
      // Only what a comparison shows: materialising each value costs, and 20 runs × 100 epochs add up.
      epochsOfMany: db
        .prepare<[string], [string, number, ...(number | null)[]]>(
          `
          SELECT run_id, epoch, train_loss, train_recon, train_kl, test_loss, test_recon, test_kl FROM epoch_metrics
          WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, epoch`,
        )
        .raw(),
      // rowid order is insertion order: decodeChunks lets later chunks win on a repeated step.
      batchChunks: db.prepare<[string], ChunkRow>(
        'SELECT epoch, count, steps, loss, recon, kl FROM batch_metrics WHERE run_id = ? ORDER BY rowid',
      ),
      snapshotEpochs: db
        .prepare<[string], number>('SELECT epoch FROM snapshots WHERE run_id = ? ORDER BY epoch')
        .pluck(),
      snapshotAt: db.prepare<[string, number], SnapshotRow>(
        'SELECT * FROM snapshots WHERE run_id = ? AND epoch = ?',
      ),
      snapshotLatest: db.prepare<[string], SnapshotRow>(
        'SELECT * FROM snapshots WHERE run_id = ? ORDER BY epoch DESC LIMIT 1',
      ),
      checkpointEpoch: db.prepare<[string], number>('SELECT epoch FROM checkpoints WHERE run_id = ?').pluck(),
      checkpointData: db.prepare<[string], Buffer>('SELECT data FROM checkpoints WHERE run_id = ?').pluck(),
      decoderAt: db
        .prepare<[string, number], Buffer>('SELECT data FROM decoder_weights WHERE run_id = ? AND epoch = ?')
        .pluck(),
      decoderLatest: db
        .prepare<[string], Buffer>(
          'SELECT data FROM decoder_weights WHERE run_id = ? ORDER BY epoch DESC LIMIT 1',
        )
        .pluck(),
      rewind: [
        'DELETE FROM batch_metrics WHERE run_id = @runId AND epoch > @epoch',
        'DELETE FROM epoch_metrics WHERE run_id = @runId AND epoch > @epoch',
        'DELETE FROM snapshots WHERE run_id = @runId AND epoch > @epoch',
        'DELETE FROM decoder_weights WHERE run_id = @runId AND epoch > @epoch',
      ].map((sql) => db.prepare<[{ runId: string; epoch: number }]>(sql)),
      ownedActive: db.prepare<[], OwnerRow>(
        `SELECT id, status, owner_pid, owner_host, owner_token FROM runs WHERE status IN ('queued', 'running')`,
      ),
      interrupt: db.prepare<[{ id: string; message: string; now: string }]>(`
        UPDATE runs SET status = 'interrupted', status_message = @message, finished_at = @now,
          owner_pid = NULL, owner_host = NULL, owner_token = NULL
        WHERE id = @id AND status IN ('queued', 'running')`),
      upsertDataset: db.prepare<[Record<string, unknown>]>(`
        INSERT INTO datasets (name, source, hash, train_count, test_count, height, width, channels, labels, created_at)
        VALUES (@name, @source, @hash, @trainCount, @testCount, @height, @width, @channels, @labels, @createdAt)
        ON CONFLICT (name) DO UPDATE SET source = excluded.source, hash = excluded.hash,
          train_count = excluded.train_count, test_count = excluded.test_count, height = excluded.height,
          width = excluded.width, channels = excluded.channels, labels = excluded.labels,
          created_at = excluded.created_at`),
      datasetByName: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?'),
      listDatasets: db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY name'),
      deleteDataset: db.prepare<[string]>('DELETE FROM datasets WHERE name = ?'),
    };
  }

  // ── plumbing ────────────────────────────────────────────────────────────

  /** Runs `fn`, turning database and file-system failures into {@link StoreError}s. */
  private guard<T>(what: string, fn: () => T): T {
    if (!this.db.open) throw new StoreError('io_error', `Could not ${what}: the run store is closed.`);
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, what);
    }
  }

  /**
   * Runs `fn` in one write transaction. IMMEDIATE takes the write lock at
   * BEGIN, where the busy timeout applies; a deferred transaction that reads
   * first and upgrades later gets SQLITE_BUSY at once if another process wrote
   * in between (the busy handler cannot help a stale read snapshot in WAL).
   */
  private write<T>(what: string, fn: () => T): T {
    return this.guard(what, () => this.db.transaction(fn).immediate());
  }

  private requireRun(runId: string): RunRow {
    const row = this.s.runById.get(runId);
    if (!row) throw new StoreError('not_found', `Run "${runId}" does not exist (it may have been deleted).`);
    return row;
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  /** Writes the pending batch rows of the given runs (all when omitted); call inside a transaction. */
  private writePending(runIds: Iterable<string>): void {
    for (const runId of runIds) {
      const rows = this.pending.get(runId);
      if (!rows) continue;
      // A run deleted (here or by the other process) while rows were buffered: drop them.
      if (!this.s.runExists.get(runId)) continue;
      for (const chunk of encodeChunks(rows)) this.s.insertChunk.run({ runId, ...chunk });
    }
  }

  /** Forgets buffered rows once the transaction that wrote them committed. */
  private dropPending(runIds: Iterable<string>): void {
    for (const runId of [...runIds]) {
      const rows = this.pending.get(runId);
      if (!rows) continue;
      this.pendingCount -= rows.length;
      this.pending.delete(runId);
    }
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /**
   * Marks `interrupted` every queued or running run whose owning process is
   * gone: a different host (WAL databases cannot be shared across hosts, so
   * that file was copied), a pid that no longer exists, or this process's pid
   * with no store open under the recorded token. Runs of live processes (the
   * app while the CLI opens the same database, and vice versa) are left alone.
   * Queued runs are interrupted too: their queue lived in the dead process's
   * memory, and nobody would ever start them; `runs:resume` starts them.
   * Called by {@link openStore}. Returns the ids it marked.
   */
  markInterrupted(): string[] {
    const orphaned = (run: OwnerRow) =>
      !(
        run.owner_pid !== null &&
        run.owner_host === this.host &&
        (run.owner_pid === process.pid
          ? run.owner_token !== null && liveTokens.has(run.owner_token)
          : processAlive(run.owner_pid))
      );
    // Look first without the write lock: usually there is nothing to mark.
    if (!this.guard('look for interrupted runs', () => this.s.ownedActive.all().some(orphaned))) return [];
    return this.write('mark interrupted runs', () => {
      const now = this.nowIso();
      const marked: string[] = [];
      for (const run of this.s.ownedActive.all()) {
        if (!orphaned(run)) continue;
        const message =
          run.status === 'running'
            ? 'The process training this run ended before it finished; resume continues from the last checkpoint.'
            : 'The app closed while this run was waiting in the queue; resume starts it.';
        this.s.interrupt.run({ id: run.id, message, now });
        marked.push(run.id);
      }
      return marked;
    });
  }

  /** Writes buffered batch rows and closes the database. Safe to call twice. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.pendingCount > 0) this.flushBatches();
    } finally {
      liveTokens.delete(this.ownerToken);
      this.db.close();
    }
  }

  // ── runs ────────────────────────────────────────────────────────────────

  /** Creates a run (queued unless said otherwise), owned by this process. */
  createRun(input: CreateRunInput): RunSummary {
    const parsed = hyperparamsSchema.safeParse(input.hyperparams);
    if (!parsed.success) {
      throw invalid(
        `The hyperparameters are not valid: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`,
      );
    }
    const hp = parsed.data;
    if (typeof input.datasetHash !== 'string' || input.datasetHash.length === 0) {
      throw invalid('A run needs the hash of its dataset.');
    }
    const name = input.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > runNameMaxLength)) {
      throw invalid(`A run name must be 1 to ${runNameMaxLength} characters.`);
    }
    const tags = cleanTags(input.tags ?? []);
    const id = randomUUID();
    return this.write('create a run', () => {
      const status = input.status ?? 'queued';
      const now = this.nowIso();
      this.s.insertRun.run({
        id,
        name: name ?? `${hp.dataset} ${hp.arch} z${hp.latentDim} #${this.s.countRuns.get()! + 1}`,
        status,
        createdAt: now,
        startedAt: status === 'running' ? now : null,
        hyperparams: JSON.stringify(hp),
        dataset: hp.dataset,
        datasetHash: input.datasetHash,
        arch: hp.arch,
        latentDim: hp.latentDim,
        epochs: hp.epochs,
        batchSize: hp.batchSize,
        learningRate: hp.learningRate,
        beta: hp.beta,
        seed: hp.seed,
        backend: input.backend ?? null,
        device: input.device ?? null,
        appVersion: this.appVersion,
        notes: input.notes ?? '',
        tags: JSON.stringify(tags),
        ownerPid: process.pid,
        ownerHost: this.host,
        ownerToken: this.ownerToken,
      });
      return toSummary(this.requireRun(id));
    });
  }

  /**
   * Moves a run to `status`. Terminal statuses set `finishedAt` and write the
   * run's buffered batch rows in the same transaction; `queued`/`running` make
   * this process the run's owner. An illegal change fails with `conflict`.
   */
  setStatus(input: SetStatusInput): RunSummary {
    const { runId, status } = input;
    if (!runStatuses.includes(status)) throw invalid(`"${String(status)}" is not a run status.`);
    const summary = this.write(`set run "${runId}" to ${status}`, () => {
      const current = this.requireRun(runId).status;
      if (!allowedTransitions[current].includes(status)) {
        throw new StoreError('conflict', `Run "${runId}" is ${current}; it cannot become ${status}.`);
      }
      const terminal = terminalStatuses.includes(status);
      if (terminal) this.writePending([runId]);
      const now = this.nowIso();
      this.s.setStatus.run({
        runId,
        status,
        message: input.message ?? null,
        now,
        finishedAt: terminal ? now : null,
        backend: input.backend ?? null,
        device: input.device ?? null,
        ownerPid: terminal ? null : process.pid,
        ownerHost: terminal ? null : this.host,
        ownerToken: terminal ? null : this.ownerToken,
      });
      return toSummary(this.requireRun(runId));
    });
    if (terminalStatuses.includes(status)) this.dropPending([runId]);
    return summary;
  }

  /**
   * Buffers batch rows; they reach the database with the epoch's
   * {@link recordEpoch}, at a terminal {@link setStatus}, or once
   * `batchFlushRows` are pending, each time in one transaction. A failed
   * write keeps the rows buffered and throws (`io_error`).
   */
  appendBatchMetrics(runId: string, rows: readonly BatchMetricsRow[]): void {
    for (const r of rows) {
      if (!isPositiveInt(r.step) || !isPositiveInt(r.epoch)) {
        throw invalid(
          `Batch rows need a positive integer step and epoch (got step ${r.step}, epoch ${r.epoch}).`,
        );
      }
    }
    let list = this.pending.get(runId);
    if (!list) {
      list = [];
      this.pending.set(runId, list);
    }
    for (const r of rows) list.push(r);
    this.pendingCount += rows.length;
    if (this.pendingCount >= this.batchFlushRows) this.flushBatches();
  }

  /** Writes every buffered batch row now, in one transaction. */
  flushBatches(): void {
    if (this.pendingCount === 0) return;
    const runIds = [...this.pending.keys()];
    this.write('save batch metrics', () => this.writePending(runIds));
    this.dropPending(runIds);
  }

  /** Number of batch rows buffered and not yet written. */
  get pendingBatchRows(): number {
    return this.pendingCount;
  }

  /**
   * Stores one finished epoch — its metrics, the run's buffered batch rows,
   * the snapshot, the checkpoint (replacing the previous one) and the decoder
   * weights — in one transaction: after a crash either all of it is there or
   * none. Tensors are encoded before the write lock is taken.
   */
  recordEpoch(input: RecordEpochInput): void {
    const { runId, metrics, snapshot, checkpoint, decoderWeights } = input;
    const epoch = metrics.epoch;
    if (!isPositiveInt(epoch)) throw invalid(`Epoch numbers start at 1 (got ${String(epoch)}).`);
    if (snapshot && snapshot.epoch !== epoch) {
      throw invalid(`The snapshot is of epoch ${snapshot.epoch}, the metrics of epoch ${epoch}.`);
    }
    if (checkpoint && checkpoint.epoch !== epoch) {
      throw invalid(`The checkpoint is of epoch ${checkpoint.epoch}, the metrics of epoch ${epoch}.`);
    }
    if (snapshot) checkSnapshot(snapshot);
    let checkpointBlob: Buffer | null = null;
    let decoderBlob: Buffer | null = null;
    try {
      if (checkpoint) checkpointBlob = encodeCheckpoint(checkpoint);
      if (decoderWeights) decoderBlob = encodeTensors(epoch, decoderWeights);
    } catch (error) {
      throw invalid(`Epoch ${epoch} of run "${runId}": ${(error as Error).message}`);
    }
    this.write(`save epoch ${epoch} of run "${runId}"`, () => {
      this.requireRun(runId);
      this.writePending([runId]);
      this.s.upsertEpoch.run({
        runId,
        epoch,
        trainLoss: metrics.train.loss,
        trainRecon: metrics.train.recon,
        trainKl: metrics.train.kl,
        testLoss: metrics.test.loss,
        testRecon: metrics.test.recon,
        testKl: metrics.test.kl,
        beta: metrics.beta,
        seconds: metrics.seconds,
        samplesPerSecond: metrics.samplesPerSecond,
      });
      if (snapshot) this.insertSnapshot(runId, snapshot);
      if (checkpointBlob) this.s.upsertCheckpoint.run(runId, epoch, checkpointBlob, this.nowIso());
      if (decoderBlob) this.s.upsertDecoder.run(runId, epoch, decoderBlob);
      this.s.refreshSummary.run({ runId });
    });
    this.dropPending([runId]);
  }

  private insertSnapshot(runId: string, s: Snapshot): void {
    this.s.upsertSnapshot.run({
      runId,
      epoch: s.epoch,
      height: s.imageShape.height,
      width: s.imageShape.width,
      channels: s.imageShape.channels,
      galleryIndices: toBlob(Int32Array.from(s.galleryIndices)),
      galleryOriginal: toBlob(s.gallery.original),
      galleryMean: toBlob(s.gallery.mean),
      gallerySampled: toBlob(s.gallery.sampled),
      latentCount: s.latent.count,
      latentDim: s.latent.latentDim,
      zMu: toBlob(s.latent.zMu),
      zLogVar: toBlob(s.latent.zLogVar),
      labels: toBlob(s.latent.labels),
      manifoldN: s.manifold.n,
      manifoldRange: s.manifold.range,
      manifoldDimX: s.manifold.dims[0],
      manifoldDimY: s.manifold.dims[1],
      manifoldImages: toBlob(s.manifold.images),
      priorCount: s.prior.count,
      priorImages: toBlob(s.prior.images),
      klPerDim: toBlob(Float64Array.from(s.klPerDim)),
    });
  }

  /**
   * Prepares a resume: deletes everything of the run after its checkpoint's
   * epoch (metrics, batch rows, snapshots, decoder weights of epochs the
   * checkpoint does not contain) and returns that epoch (0 without a
   * checkpoint: the run starts over).
   */
  rewindToCheckpoint(runId: string): number {
    const epoch = this.write(`rewind run "${runId}" to its checkpoint`, () => {
      this.requireRun(runId);
      const at = this.s.checkpointEpoch.get(runId) ?? 0;
      for (const statement of this.s.rewind) statement.run({ runId, epoch: at });
      this.s.refreshSummary.run({ runId });
      return at;
    });
    this.dropPending([runId]);
    return epoch;
  }

  /** Runs matching the query. Sort defaults to `createdAt`, newest first; other sorts default to ascending. An empty status list does not filter. */
  listRuns(query: ListRunsQuery = {}): RunSummary[] {
    return this.guard('list runs', () => {
      const sort: RunSortKey = query.sort ?? 'createdAt';
      const descending = query.descending ?? sort === 'createdAt';
      const rows = this.listStatement(sort, descending).all({
        statuses: query.status && query.status.length > 0 ? JSON.stringify(query.status) : null,
        dataset: query.dataset ?? null,
        text: query.text && query.text.trim() !== '' ? likePattern(query.text.trim()) : null,
        limit: query.limit ?? -1,
      });
      return rows.map((tuple) => toSummary(zip<RunRow>(runColumnNames, tuple)));
    });
  }

  private listStatement(sort: RunSortKey, descending: boolean) {
    const key = `${sort}:${descending}`;
    let statement = this.listStatements.get(key);
    if (!statement) {
      // Only these code constants are spliced into the SQL; every value is bound.
      const dir = descending ? 'DESC' : 'ASC';
      const statusRank = `CASE status ${runStatuses.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;
      const orderBy: Record<RunSortKey, string> = {
        createdAt: `created_at ${dir}, rowid ${dir}`,
        name: `name COLLATE NOCASE ${dir}, created_at DESC`,
        status: `${statusRank} ${dir}, created_at DESC`,
        // Runs without a finished epoch go last either way.
        testLoss: `last_test_loss IS NULL, last_test_loss ${dir}, created_at DESC`,
      };
      statement = this.db.prepare<[Record<string, unknown>], unknown[]>(`
        SELECT ${runColumns} FROM runs
        WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
          AND (@dataset IS NULL OR dataset = @dataset)
          AND (@text IS NULL OR name LIKE @text ESCAPE '\\' OR notes LIKE @text ESCAPE '\\'
               OR tags LIKE @text ESCAPE '\\' OR dataset LIKE @text ESCAPE '\\' OR id LIKE @text ESCAPE '\\')
        ORDER BY ${orderBy[sort]}
        LIMIT @limit`);
      statement.raw();
      this.listStatements.set(key, statement);
    }
    return statement;
  }

  /** One run's summary. */
  getRunSummary(runId: string): RunSummary {
    return this.guard(`read run "${runId}"`, () => toSummary(this.requireRun(runId)));
  }

  /**
   * A run with everything its charts need. Batch rows are averaged over
   * buckets of consecutive steps down to at most {@link maxBatchPoints}
   * points; rows still buffered in this process are not included.
   */
  getRun(runId: string): RunDetail {
    return this.guard(`read run "${runId}"`, () => {
      const summary = toSummary(this.requireRun(runId));
      return {
        ...summary,
        epochs: this.s.epochsOf.all(runId).map(toEpochMetrics),
        batches: thinSeries(decodeChunks(this.s.batchChunks.all(runId)), maxBatchPoints),
        snapshotEpochs: this.s.snapshotEpochs.all(runId),
        checkpointEpoch: this.s.checkpointEpoch.get(runId) ?? null,
      };
    });
  }

  /** Every stored batch row of a run, in step order (for CSV export). */
  getBatchMetrics(runId: string): BatchMetricsRow[] {
    return this.guard(`read the batch metrics of run "${runId}"`, () => {
      this.requireRun(runId);
      const s = decodeChunks(this.s.batchChunks.all(runId));
      return Array.from(s.steps, (step, i) => ({
        step,
        epoch: s.epochs[i]!,
        loss: s.loss[i]!,
        recon: s.recon[i]!,
        kl: s.kl[i]!,
      }));
    });
  }

  /** The figures of one epoch, the latest when `epoch` is omitted; `not_found` when there is none. */
  getSnapshot(runId: string, epoch?: number): Snapshot {
    return this.guard(`read a snapshot of run "${runId}"`, () => {
      this.requireRun(runId);
      const row =
        epoch === undefined ? this.s.snapshotLatest.get(runId) : this.s.snapshotAt.get(runId, epoch);
      if (!row) {
        throw new StoreError(
          'not_found',
          epoch === undefined
            ? `Run "${runId}" has no snapshot yet.`
            : `Run "${runId}" has no snapshot of epoch ${epoch}.`,
        );
      }
      return {
        epoch: row.epoch,
        imageShape: { height: row.image_height, width: row.image_width, channels: row.image_channels },
        galleryIndices: Array.from(blobToInt32(row.gallery_indices)),
        gallery: {
          original: blobToUint8(row.gallery_original),
          mean: blobToUint8(row.gallery_mean),
          sampled: blobToUint8(row.gallery_sampled),
        },
        latent: {
          count: row.latent_count,
          latentDim: row.latent_dim,
          zMu: blobToFloat32(row.z_mu),
          zLogVar: blobToFloat32(row.z_log_var),
          labels: blobToUint8(row.labels),
        },
        manifold: {
          n: row.manifold_n,
          range: row.manifold_range,
          dims: [row.manifold_dim_x, row.manifold_dim_y],
          images: blobToUint8(row.manifold_images),
        },
        prior: { count: row.prior_count, images: blobToUint8(row.prior_images) },
        klPerDim: Array.from(blobToFloat64(row.kl_per_dim)),
      };
    });
  }

  /**
   * The run's latest checkpoint, or null when it has none. It comes back as
   * it was given, extra properties included; `T` names the type the caller
   * stored (e.g. the engine's checkpoint), which the store does not check.
   */
  getCheckpoint<T extends Checkpoint = Checkpoint>(runId: string): T | null {
    return this.guard(`read the checkpoint of run "${runId}"`, () => {
      this.requireRun(runId);
      const data = this.s.checkpointData.get(runId);
      if (!data) return null;
      return this.decodeOrThrow(
        () => decodeCheckpoint(data),
        `the checkpoint of run "${runId}"`,
      ) as unknown as T;
    });
  }

  /** Decoder weights after `epoch` (the latest stored when omitted); `not_found` when none are stored. */
  getDecoderWeights(runId: string, epoch?: number): DecoderWeights {
    return this.guard(`read the decoder weights of run "${runId}"`, () => {
      this.requireRun(runId);
      const data = epoch === undefined ? this.s.decoderLatest.get(runId) : this.s.decoderAt.get(runId, epoch);
      if (!data) {
        throw new StoreError(
          'not_found',
          `Run "${runId}" has no decoder weights${epoch === undefined ? '' : ` for epoch ${epoch}`}.`,
        );
      }
      const decoded = this.decodeOrThrow(() => decodeTensors(data), `the decoder weights of run "${runId}"`);
      return { epoch: decoded.epoch, weights: decoded.tensors };
    });
  }

  private decodeOrThrow<T>(decode: () => T, what: string): T {
    try {
      return decode();
    } catch (error) {
      throw new StoreError('io_error', `${what} is damaged: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Renames a run, or replaces its notes or tags; omitted fields stay. */
  updateRun(input: UpdateRunInput): RunSummary {
    const name = input.name?.trim();
    if (name !== undefined && (name.length === 0 || name.length > runNameMaxLength)) {
      throw invalid(`A run name must be 1 to ${runNameMaxLength} characters.`);
    }
    if (input.notes !== undefined && input.notes.length > 100_000)
      throw invalid('Notes are at most 100,000 characters.');
    const tags = input.tags === undefined ? null : JSON.stringify(cleanTags(input.tags));
    return this.write(`update run "${input.runId}"`, () => {
      this.requireRun(input.runId);
      this.s.updateRun.run({ runId: input.runId, name: name ?? null, notes: input.notes ?? null, tags });
      return toSummary(this.requireRun(input.runId));
    });
  }

  /**
   * Deletes a run and everything it owns (metrics, snapshots, checkpoint,
   * decoder weights: ON DELETE CASCADE). A queued or running run must be
   * stopped first (`conflict`). Disk space is reused by later writes; the
   * file does not shrink.
   */
  deleteRun(runId: string): void {
    this.write(`delete run "${runId}"`, () => {
      const { status } = this.requireRun(runId);
      if (status === 'queued' || status === 'running') {
        throw new StoreError('conflict', `Run "${runId}" is ${status}; stop it before deleting it.`);
      }
      this.s.deleteRun.run(runId);
    });
    this.dropPending([runId]);
  }

  /**
   * Compares runs (in the order given): their summaries, per-epoch train and
   * test losses aligned on epochs 1..max, and a table of every hyperparameter
   * plus dataset hash, backend, device and app version, flagging rows whose
   * values differ. An unknown id fails with `not_found`.
   */
  compareRuns(runIds: readonly string[]): RunComparison {
    return this.guard('compare runs', () => {
      const runs = runIds.map((id) => toSummary(this.requireRun(id)));
      type Row = [string, number, ...(number | null)[]];
      const byRun = new Map<string, Row[]>();
      let maxEpoch = 0;
      for (const row of this.s.epochsOfMany.all(JSON.stringify([...new Set(runIds)]))) {
        let list = byRun.get(row[0]);
        if (!list) byRun.set(row[0], (list = []));
        list.push(row);
        if (row[1] > maxEpoch) maxEpoch = row[1];
      }
      const epochs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
      const series = runs.map((run) => {
        const train: (LossTerms | null)[] = new Array<LossTerms | null>(maxEpoch).fill(null);
        const test: (LossTerms | null)[] = new Array<LossTerms | null>(maxEpoch).fill(null);
        for (const [, epoch, trainLoss, trainRecon, trainKl, testLoss, testRecon, testKl] of byRun.get(
          run.id,
        ) ?? []) {
          train[epoch - 1] = terms(trainLoss ?? null, trainRecon ?? null, trainKl ?? null);
          test[epoch - 1] = terms(testLoss ?? null, testRecon ?? null, testKl ?? null);
        }
        return { runId: run.id, train, test };
      });
      const keys = Object.keys(hyperparamsSchema.shape) as (keyof Hyperparams)[];
      const table = [
        ...keys.map((key) => ({
          key,
          values: runs.map((r) => r.hyperparams[key] as unknown),
        })),
        { key: 'datasetHash', values: runs.map((r) => r.datasetHash as unknown) },
        { key: 'backend', values: runs.map((r) => r.backend as unknown) },
        { key: 'device', values: runs.map((r) => r.device as unknown) },
        { key: 'appVersion', values: runs.map((r) => r.appVersion as unknown) },
      ].map((row) => {
        const first = JSON.stringify(row.values[0] ?? null);
        return { ...row, differs: row.values.some((v) => JSON.stringify(v ?? null) !== first) };
      });
      return { runs, epochs, series, table };
    });
  }

  // ── datasets ────────────────────────────────────────────────────────────

  /** Adds an imported dataset, or replaces the one of that name. */
  upsertDataset(info: DatasetInfo): DatasetInfo {
    if (!isDatasetName(info.name)) {
      throw invalid(`Dataset name "${info.name}" must be ${datasetNameRule}.`);
    }
    if (![info.trainCount, info.testCount].every((n) => Number.isInteger(n) && n >= 0)) {
      throw invalid('Dataset image counts must be whole numbers.');
    }
    if (![info.height, info.width].every(isPositiveInt))
      throw invalid('Dataset image sizes must be positive.');
    return this.write(`save dataset "${info.name}"`, () => {
      this.s.upsertDataset.run({
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
      });
      return toDatasetInfo(this.s.datasetByName.get(info.name)!);
    });
  }

  /** Imported datasets by name. */
  listDatasets(): DatasetInfo[] {
    return this.guard('list datasets', () => this.s.listDatasets.all().map(toDatasetInfo));
  }

  /** One dataset; `not_found` when none has that name. */
  getDataset(name: string): DatasetInfo {
    return this.guard(`read dataset "${name}"`, () => {
      const row = this.s.datasetByName.get(name);
      if (!row) throw new StoreError('not_found', `There is no dataset named "${name}".`);
      return toDatasetInfo(row);
    });
  }

  /** Removes a dataset's row (not its files, nor the runs trained on it: they keep its name and hash). */
  deleteDataset(name: string): void {
    this.write(`delete dataset "${name}"`, () => {
      if (this.s.deleteDataset.run(name).changes === 0) {
        throw new StoreError('not_found', `There is no dataset named "${name}".`);
      }
    });
  }
}
