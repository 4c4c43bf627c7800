import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { DatasetInfo, Notice, RunComparison, RunDetail, RunSortKey } from '../../shared/contract';
import { activeStatuses, canTransition, isActive, isTerminal, runStatuses } from '../../shared/run-status';
import type { RunStatus, RunSummary, Snapshot } from '../../shared/run';
import { decodeChunks, encodeChunks, thinSeries, type ChunkRow } from './batch-chunks';
import { BatchBuffer } from './batch-buffer';
import { buildComparison, compareEpochsSql, type CompareEpochTuple } from './compare';
import { StoreError } from './errors';
import { guarded, inWriteTransaction } from './guarded';
import {
  checkKeep,
  fileUsage,
  type FileUsage,
  type PruneResult,
  Retention,
  type RunSize,
  worthCompacting,
} from './retention';
import { interruptedMessage, Ownership, type OwnerColumns } from './ownership';
import {
  datasetParams,
  epochColumns,
  epochParams,
  runColumnNames,
  runColumns,
  toDatasetInfo,
  toEpochMetrics,
  toSummary,
  zip,
  type DatasetRow,
  type EpochRow,
  type RunRow,
} from './rows';
import {
  checkSnapshot,
  snapshotParams,
  toSnapshot,
  upsertSnapshotSql,
  type SnapshotRow,
} from './snapshot-rows';
import { decodeCheckpoint, decodeTensors, encodeCheckpoint, encodeTensors } from './tensor-codec';
import type {
  BatchLoss,
  Checkpoint,
  CreateRunInput,
  DecoderWeights,
  ListRunsQuery,
  RecordEpochInput,
  SetStatusInput,
  UpdateRunInput,
} from './types';

/** Most batch points {@link RunStore.getRun} returns; more are averaged into buckets. */
export const maxBatchPoints = 2000;

type OwnerRow = OwnerColumns & { id: string; status: RunStatus };

/** Code constants only (no values) are spliced into SQL. */
const activeList = activeStatuses.map((s) => `'${s}'`).join(', ');

function likePattern(text: string): string {
  // Escape LIKE's wildcards so that "50%" matches literally.
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
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
 * All persistent state of runs, on one better-sqlite3 connection: the SQL and
 * its transactions. What the rows mean lives beside it — rows.ts and
 * snapshot-rows.ts (encoding), ownership.ts (which process a run belongs to),
 * batch-buffer.ts (batch losses waiting for a write), compare.ts (the
 * comparison table), and shared/run-status.ts (the lifecycle).
 *
 * Arguments from the API are validated once, by shared/schemas.ts, before
 * they reach the store; what the training worker produces (snapshots,
 * tensors, batch rows, epoch numbers) is checked here, since a bad one would
 * be stored for good.
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
  /** This store's claim on the runs it queues or runs (see {@link markInterrupted}). */
  private readonly owner = new Ownership();
  private readonly pending = new BatchBuffer();
  private readonly listStatements = new Map<
    string,
    Database.Statement<[Record<string, unknown>], unknown[]>
  >();
  private readonly s;
  private readonly retention: Retention;

  /** @internal Use {@link openStore}. */
  constructor(init: RunStoreInit) {
    this.db = init.db;
    this.path = init.path;
    this.appVersion = init.appVersion;
    this.batchFlushRows = init.batchFlushRows;
    this.now = init.now;
    this.notices = init.notices;
    const db = this.db;
    this.retention = new Retention(db);
    this.s = {
      runById: db.prepare<[string], RunRow>(`SELECT ${runColumns} FROM runs WHERE id = ?`),
      runExists: db.prepare<[string], { status: RunStatus }>('SELECT status FROM runs WHERE id = ?'),
      countRuns: db.prepare<[], number>('SELECT count(*) FROM runs').pluck(),
      allRunIds: db.prepare<[], string>('SELECT id FROM runs').pluck(),
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
      upsertSnapshot: db.prepare<[Record<string, unknown>]>(upsertSnapshotSql),
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
      epochsOfMany: db.prepare<[string], CompareEpochTuple>(compareEpochsSql).raw(),
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
        `SELECT id, status, owner_pid, owner_host, owner_token FROM runs WHERE status IN (${activeList})`,
      ),
      interrupt: db.prepare<[{ id: string; message: string; now: string }]>(`
        UPDATE runs SET status = 'interrupted', status_message = @message, finished_at = @now,
          owner_pid = NULL, owner_host = NULL, owner_token = NULL
        WHERE id = @id AND status IN (${activeList})`),
      upsertDataset: db.prepare<[Record<string, unknown>]>(`
        INSERT INTO datasets (name, source, hash, train_count, test_count, height, width, channels, labels, created_at)
        VALUES (@name, @source, @hash, @trainCount, @testCount, @height, @width, @channels, @labels, @createdAt)
        ON CONFLICT (name) DO UPDATE SET source = excluded.source, hash = excluded.hash,
          train_count = excluded.train_count, test_count = excluded.test_count, height = excluded.height,
          width = excluded.width, channels = excluded.channels, labels = excluded.labels,
          created_at = excluded.created_at`),
      datasetByName: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?'),
    };
  }

  /** The open connection, for the stores of other tables in the same file (sweeps). */
  get connection(): Database.Database {
    return this.db;
  }

  // ── plumbing ────────────────────────────────────────────────────────────

  /** Runs `fn`, turning database and file-system failures into {@link StoreError}s. */
  private guard<T>(what: string, fn: () => T): T {
    return guarded(this.db, what, fn);
  }

  /** Runs `fn` in one IMMEDIATE write transaction (see {@link inWriteTransaction}). */
  private write<T>(what: string, fn: () => T): T {
    return inWriteTransaction(this.db, what, fn);
  }

  private requireRun(runId: string): RunRow {
    const row = this.s.runById.get(runId);
    if (!row) throw new StoreError('not_found', `Run "${runId}" does not exist (it may have been deleted).`);
    return row;
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  /** Writes the buffered batch rows of these runs; call inside a transaction, then drop them once it committed. */
  private writePending(runIds: Iterable<string>): void {
    for (const runId of runIds) {
      const rows = this.pending.of(runId);
      if (rows.length === 0) continue;
      // A run deleted (here or by the other process) while rows were buffered: drop them.
      if (!this.s.runExists.get(runId)) continue;
      for (const chunk of encodeChunks(rows)) this.s.insertChunk.run({ runId, ...chunk });
    }
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /**
   * Marks `interrupted` every queued or running run whose owning process is
   * gone ({@link Ownership.isOrphaned}). Runs of live processes (the app
   * while the CLI opens the same database, and vice versa) are left alone.
   * Queued runs are interrupted too: their queue lived in the dead process's
   * memory, and nobody would ever start them; `runs:resume` starts them.
   * Called by {@link openStore}. Returns the ids it marked.
   */
  markInterrupted(): string[] {
    const orphaned = (run: OwnerRow) => this.owner.isOrphaned(run);
    // Look first without the write lock: usually there is nothing to mark.
    if (!this.guard('look for interrupted runs', () => this.s.ownedActive.all().some(orphaned))) return [];
    return this.write('mark interrupted runs', () => {
      const now = this.nowIso();
      const marked: string[] = [];
      for (const run of this.s.ownedActive.all()) {
        if (!orphaned(run)) continue;
        this.s.interrupt.run({ id: run.id, message: interruptedMessage(run.status), now });
        marked.push(run.id);
      }
      return marked;
    });
  }

  /** Writes buffered batch rows and closes the database. Safe to call twice. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.pending.size > 0) this.flushBatches();
    } finally {
      this.owner.release();
      this.db.close();
    }
  }

  // ── runs ────────────────────────────────────────────────────────────────

  /** Creates a run (queued unless said otherwise), owned by this process. */
  createRun(input: CreateRunInput): RunSummary {
    const hp = input.hyperparams;
    const id = randomUUID();
    return this.write('create a run', () => {
      const status = input.status ?? 'queued';
      const now = this.nowIso();
      this.s.insertRun.run({
        id,
        name: input.name ?? `${hp.dataset} ${hp.arch} z${hp.latentDim} #${this.s.countRuns.get()! + 1}`,
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
        tags: JSON.stringify([...new Set(input.tags ?? [])]),
        ...this.owner.params(true),
      });
      this.retention.prune(
        id,
        input.keepCheckpoints !== undefined ? checkKeep(input.keepCheckpoints) : this.retention.defaultKeep(),
      );
      return this.sized(toSummary(this.requireRun(id)));
    });
  }

  /**
   * Moves a run to `status`. Terminal statuses set `finishedAt` and write the
   * run's buffered batch rows in the same transaction; `queued`/`running` make
   * this process the run's owner. A change shared/run-status.ts does not
   * allow fails with `conflict`.
   */
  setStatus(input: SetStatusInput): RunSummary {
    const { runId, status } = input;
    const terminal = isTerminal(status);
    const summary = this.write(`set run "${runId}" to ${status}`, () => {
      const current = this.requireRun(runId).status;
      if (!canTransition(current, status)) {
        throw new StoreError('conflict', `Run "${runId}" is ${current}; it cannot become ${status}.`);
      }
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
        ...this.owner.params(!terminal),
      });
      return this.sized(toSummary(this.requireRun(runId)));
    });
    if (terminal) this.pending.drop([runId]);
    return summary;
  }

  /**
   * Buffers batch rows; they reach the database with the epoch's
   * {@link recordEpoch}, at a terminal {@link setStatus}, or once
   * `batchFlushRows` are pending, each time in one transaction. A failed
   * write keeps the rows buffered and throws (`io_error`).
   */
  appendBatchMetrics(runId: string, rows: readonly BatchLoss[]): void {
    if (this.pending.add(runId, rows) >= this.batchFlushRows) this.flushBatches();
  }

  /** Writes every buffered batch row now, in one transaction. */
  flushBatches(): void {
    if (this.pending.size === 0) return;
    const runIds = this.pending.runIds();
    this.write('save batch metrics', () => this.writePending(runIds));
    this.pending.drop(runIds);
  }

  /** Number of batch rows buffered and not yet written. */
  get pendingBatchRows(): number {
    return this.pending.size;
  }

  /**
   * Stores one finished epoch — its metrics, the run's buffered batch rows,
   * the snapshot, the checkpoint (replacing the previous one) and the decoder
   * weights — in one transaction: after a crash either all of it is there or
   * none. All of it comes from the worker and is checked (`invalid_input`)
   * and encoded before the write lock is taken.
   */
  recordEpoch(input: RecordEpochInput): void {
    const { runId, metrics, snapshot, checkpoint, decoderWeights } = input;
    const epoch = metrics.epoch;
    const invalid = (message: string) => new StoreError('invalid_input', message);
    if (!Number.isInteger(epoch) || epoch < 1)
      throw invalid(`Epoch numbers start at 1 (got ${String(epoch)}).`);
    if (snapshot && snapshot.epoch !== epoch) {
      throw invalid(`The snapshot is of epoch ${snapshot.epoch}, the metrics of epoch ${epoch}.`);
    }
    if (checkpoint && checkpoint.epoch !== epoch) {
      throw invalid(`The checkpoint is of epoch ${checkpoint.epoch}, the metrics of epoch ${epoch}.`);
    }
    if (snapshot) checkSnapshot(snapshot);
    const snapshotRow = snapshot ? snapshotParams(runId, snapshot) : null;
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
      this.s.upsertEpoch.run(epochParams(runId, metrics));
      if (snapshotRow) this.s.upsertSnapshot.run(snapshotRow);
      if (checkpointBlob) this.s.upsertCheckpoint.run(runId, epoch, checkpointBlob, this.nowIso());
      if (decoderBlob) this.s.upsertDecoder.run(runId, epoch, decoderBlob);
      this.retention.afterEpoch(runId);
      this.s.refreshSummary.run({ runId });
    });
    this.pending.drop([runId]);
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
    this.pending.drop([runId]);
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
        offset: query.offset ?? 0,
      });
      const summaries = rows.map((tuple) => toSummary(zip<RunRow>(runColumnNames, tuple)));
      const sizes = this.retention.totals(summaries.map((r) => r.id));
      return summaries.map((r) => ({ ...r, sizeBytes: sizes.get(r.id) ?? 0 }));
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
        // Ties in the direction of the names, so that runs_by_name answers both directions.
        name: `name COLLATE NOCASE ${dir}, created_at ${dir}`,
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
        LIMIT @limit OFFSET @offset`);
      statement.raw();
      this.listStatements.set(key, statement);
    }
    return statement;
  }

  /** One run's summary. */
  getRunSummary(runId: string): RunSummary {
    return this.guard(`read run "${runId}"`, () => this.sized(toSummary(this.requireRun(runId))));
  }

  /**
   * A run with everything its charts need. Batch rows are averaged over
   * buckets of consecutive steps down to at most {@link maxBatchPoints}
   * points; rows still buffered in this process are not included.
   */
  getRun(runId: string): RunDetail {
    return this.guard(`read run "${runId}"`, () => {
      const summary = this.sized(toSummary(this.requireRun(runId)));
      return {
        ...summary,
        size: this.retention.size(runId),
        keepCheckpoints: this.retention.keepOf(runId),
        epochs: this.s.epochsOf.all(runId).map(toEpochMetrics),
        batches: thinSeries(decodeChunks(this.s.batchChunks.all(runId)), maxBatchPoints),
        snapshotEpochs: this.s.snapshotEpochs.all(runId),
        checkpointEpoch: this.s.checkpointEpoch.get(runId) ?? null,
      };
    });
  }

  /** Every stored batch row of a run, in step order (for CSV export). */
  getBatchMetrics(runId: string): BatchLoss[] {
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
      return toSnapshot(row);
    });
  }

  /** The run's latest checkpoint, or null when it has none. */
  getCheckpoint(runId: string): Checkpoint | null {
    return this.guard(`read the checkpoint of run "${runId}"`, () => {
      this.requireRun(runId);
      const data = this.s.checkpointData.get(runId);
      if (!data) return null;
      return this.decodeOrThrow(() => decodeCheckpoint(data), `the checkpoint of run "${runId}"`);
    });
  }

  /** Decoder weights after `epoch` (the latest stored when omitted); `not_found` when none are stored. */
  getDecoderWeights(runId: string, epoch?: number): DecoderWeights {
    return this.guard(`read the decoder weights of run "${runId}"`, () => {
      this.requireRun(runId);
      const data = epoch === undefined ? this.s.decoderLatest.get(runId) : this.s.decoderAt.get(runId, epoch);
      if (!data) {
        const keep = this.retention.keepOf(runId);
        throw new StoreError(
          'not_found',
          `Run "${runId}" has no decoder weights${epoch === undefined ? '' : ` for epoch ${epoch}`}` +
            (keep === null || epoch === undefined
              ? '.'
              : `: the run keeps only its last ${keep} epochs' weights (retention); that epoch's stored figures remain. Choose a later epoch to decode new points.`),
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

  /** Renames a run, or replaces its notes or tags (duplicates dropped); omitted fields stay. */
  updateRun(input: UpdateRunInput): RunSummary {
    const tags = input.tags === undefined ? null : JSON.stringify([...new Set(input.tags)]);
    return this.write(`update run "${input.runId}"`, () => {
      this.requireRun(input.runId);
      this.s.updateRun.run({
        runId: input.runId,
        name: input.name ?? null,
        notes: input.notes ?? null,
        tags,
      });
      return this.sized(toSummary(this.requireRun(input.runId)));
    });
  }

  /**
   * Deletes a run and everything it owns (metrics, snapshots, checkpoint,
   * decoder weights: ON DELETE CASCADE). A queued or running run must be
   * stopped first (`conflict`). The file is compacted afterwards when that
   * freed enough ({@link compactIfWorthIt}).
   */
  deleteRun(runId: string): void {
    this.write(`delete run "${runId}"`, () => {
      const { status } = this.requireRun(runId);
      if (isActive(status)) {
        throw new StoreError('conflict', `Run "${runId}" is ${status}; stop it before deleting it.`);
      }
      this.s.deleteRun.run(runId);
    });
    this.pending.drop([runId]);
    this.compactIfWorthIt();
  }

  // ── disk use and retention (issue 16) ───────────────────────────────────

  private sized(summary: RunSummary): RunSummary {
    return { ...summary, sizeBytes: this.retention.size(summary.id).total };
  }

  /** Bytes a run occupies, by kind. */
  getRunSize(runId: string): RunSize {
    return this.guard(`measure run "${runId}"`, () => {
      this.requireRun(runId);
      return this.retention.size(runId);
    });
  }

  /**
   * Sets how many of a run's latest per-epoch weights are kept (null: all)
   * and deletes the older ones now; later epochs of the run follow the same
   * setting. Snapshots and the resume checkpoint are never deleted, so a
   * stopped, interrupted or failed run still resumes. Compacts the file when
   * that freed enough.
   */
  pruneRun(input: { runId: string; keepCheckpoints: number | null }): PruneResult & { compacted: boolean } {
    const keep = checkKeep(input.keepCheckpoints);
    const result = this.write(`prune run "${input.runId}"`, () => {
      this.requireRun(input.runId);
      return this.retention.prune(input.runId, keep);
    });
    return { ...result, compacted: this.compactIfWorthIt() };
  }

  /** The retention new runs take (null: keep all). */
  getDefaultKeepCheckpoints(): number | null {
    return this.guard('read the retention setting', () => this.retention.defaultKeep());
  }

  setDefaultKeepCheckpoints(keep: number | null): void {
    this.write('save the retention setting', () => this.retention.setDefaultKeep(keep));
  }

  /** The database's size on disk: the file (free pages included) and its write-ahead log. */
  storageUsage(): FileUsage & { runsBytes: number } {
    return this.guard('measure the database', () => {
      let walBytes = 0;
      try {
        walBytes = statSync(`${this.path}-wal`).size;
      } catch {
        // No log file (checkpointed and truncated, or an in-memory database).
      }
      const runsBytes = this.s.allRunIds.all().reduce((n, id) => n + this.retention.size(id).total, 0);
      return { ...fileUsage(this.db, walBytes), runsBytes };
    });
  }

  /**
   * VACUUM when at least 8 MiB and a tenth of the file are free pages, then
   * truncate the write-ahead log, so deleted runs and pruned weights give
   * their space back to the disk. Returns whether it ran. Another process
   * reading at that moment makes VACUUM fail busy: the space stays free in
   * the file for later writes, and the next large deletion tries again.
   */
  compactIfWorthIt(): boolean {
    if (!this.db.open || this.db.readonly || !worthCompacting(fileUsage(this.db, 0))) return false;
    try {
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return true;
    } catch {
      return false;
    }
  }

  /** Compares runs in the order given ({@link buildComparison}); an unknown id fails with `not_found`. */
  compareRuns(runIds: readonly string[]): RunComparison {
    return this.guard('compare runs', () => {
      const runs = runIds.map((id) => toSummary(this.requireRun(id)));
      return buildComparison(runs, this.s.epochsOfMany.all(JSON.stringify([...new Set(runIds)])));
    });
  }

  // ── datasets ────────────────────────────────────────────────────────────
  // A row per import (datasets:import writes it) so that a report can give a
  // dataset's label names; the dataset files stay the source of truth.

  /** Adds an imported dataset, or replaces the one of that name. */
  upsertDataset(info: DatasetInfo): DatasetInfo {
    return this.write(`save dataset "${info.name}"`, () => {
      this.s.upsertDataset.run(datasetParams(info));
      return toDatasetInfo(this.s.datasetByName.get(info.name)!);
    });
  }

  /** One dataset; `not_found` when none has that name. */
  getDataset(name: string): DatasetInfo {
    return this.guard(`read dataset "${name}"`, () => {
      const row = this.s.datasetByName.get(name);
      if (!row) throw new StoreError('not_found', `There is no dataset named "${name}".`);
      return toDatasetInfo(row);
    });
  }
}
