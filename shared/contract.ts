import type { FigureBackground, FigureFormat } from './figures/svg';
import type { BackendChoice, BackendName, Hyperparams } from './hyperparams';
import type { Result } from './result';
import type { SweepDetail, SweepSpec, SweepSummary } from './sweep';
import type { BatchProgress, EpochMetrics, LossTerms, RunSize, RunStatus, RunSummary, Snapshot } from './run';

/**
 * The API contract between the core and every client (Electron preload,
 * WebSocket, in-process). Commands are `domain:verb` with one argument object;
 * events are `domain:event` with one payload. Everything else — the handler
 * table, the preload object, the clients — is derived from these two maps.
 *
 * This file holds types and name lists only (no schema library), so that the
 * sandboxed preload can bundle it cheaply; argument schemas live in `schemas.ts`.
 */

/** What a backend probe found. */
export interface BackendInfo {
  name: BackendName;
  available: boolean;
  /** Why it is not available, or what it runs on ("CPU", "CUDA GPU", "WebAssembly"). */
  detail: string;
  /** It runs only on a software adapter (SwiftShader, llvmpipe, …): usable when chosen, never by `auto`. */
  software?: boolean;
}

/** Answer of `app:info`. */
export interface AppInfo {
  name: string;
  version: string;
  /** Backends in order of preference, with availability. */
  backends: BackendInfo[];
  /** Folder holding the database, imported datasets and exports. */
  dataDir: string;
  platform: string;
  arch: string;
  /** Which shell serves this client. */
  shell: 'electron' | 'browser' | 'in-process';
  /** Whether `app:choosePaths` can open the system's file dialog (the desktop app). */
  canChoosePaths: boolean;
  /** Things the user must know that happened at start-up (e.g. a database moved aside). */
  notices: Notice[];
}

/** A dataset the engine can train on. */
export interface DatasetInfo {
  /** `mnist` for the bundled set; the import name otherwise. */
  name: string;
  source: 'bundled' | 'idx' | 'folder';
  hash: string;
  trainCount: number;
  testCount: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /**
   * Class names by label index: given at import (`classNames`, a `labels.txt`), known
   * for Fashion-MNIST, folder names for folders, else "0", "1", …; editable with
   * `datasets:setClassNames`.
   */
  labels: string[];
  createdAt: string;
}

/** Argument of `datasets:import`. */
export type DatasetImportArg =
  | { kind: 'idx'; name: string; paths: string[]; classNames?: string[] }
  | { kind: 'folder'; name: string; path: string; size: number; channels: 1 | 3; classNames?: string[] };

/**
 * Argument of `datasets:importUpload`: an import of the files the page uploaded to
 * browser mode's `/upload/<uploadId>/…` (see {@link uploadPath}), instead of paths.
 */
export type DatasetUploadImportArg =
  | { kind: 'idx'; name: string; uploadId: string; classNames?: string[] }
  | { kind: 'folder'; name: string; uploadId: string; size: number; channels: 1 | 3; classNames?: string[] };

/** Browser mode's upload endpoint: `PUT` a file's bytes there, `DELETE` the upload to drop it. */
export const uploadPath = '/upload';
/** Header carrying the per-launch token on uploads (a custom header also keeps other sites' pages out). */
export const uploadTokenHeader = 'x-vae-studio-token';

/** Sort keys of `runs:list`. */
export type RunSortKey = 'createdAt' | 'name' | 'status' | 'testLoss';

/** A run with everything needed to redraw its charts. */
export interface RunDetail extends RunSummary {
  epochs: EpochMetrics[];
  /** Per-batch training loss, thinned for display: [globalStep, loss, recon, kl]. */
  batches: [number, number, number, number][];
  /** Epochs with a stored snapshot. */
  snapshotEpochs: number[];
  /** Epoch of the latest checkpoint, if any (a run resumes from it). */
  checkpointEpoch: number | null;
  /** What the run occupies on disk, by kind. */
  size?: RunSize;
  /** How many latest per-epoch weights the run keeps; null keeps all. */
  keepCheckpoints?: number | null;
}

/** Answer of `runs:prune`. */
export interface PruneReport {
  run: RunSummary;
  /** Epochs whose weights were deleted, ascending. */
  prunedEpochs: number[];
  freedBytes: number;
  /** Whether the database file was compacted (VACUUM) afterwards. */
  compacted: boolean;
}

/** Answer of `runs:retention`: the default for new runs and the database's size on disk. */
export interface RetentionInfo {
  /** How many latest per-epoch weights new runs keep; null keeps all. */
  keepCheckpoints: number | null;
  /** The database file, its free pages, its write-ahead log, and what the runs' stored values add up to. */
  storage: { fileBytes: number; freeBytes: number; walBytes: number; runsBytes: number };
}

/** Answer of `runs:compare`. */
export interface RunComparison {
  runs: RunSummary[];
  /** Epoch numbers 1..max over all runs. */
  epochs: number[];
  /** Per run (same order), per epoch: test and train loss terms or null where the run has none. */
  series: { runId: string; train: (LossTerms | null)[]; test: (LossTerms | null)[] }[];
  /** One row per hyperparameter (and dataset hash, backend), flagging those that differ. */
  table: { key: string; values: unknown[]; differs: boolean }[];
}

/** Commands: name → argument object and result value. */
export interface Commands {
  /** Version, available training backends, data folder and platform. */
  'app:info': { arg: Record<string, never>; result: AppInfo };
  /**
   * The system's open dialog (desktop app only, else `unavailable`): IDX files
   * or one image folder to import. No paths when the user cancels.
   */
  'app:choosePaths': { arg: { kind: 'idx' | 'folder' }; result: { paths: string[] } };
  /** Datasets available for training. */
  'datasets:list': { arg: Record<string, never>; result: DatasetInfo[] };
  /** Images and labels of a dataset by index (gallery paging, scatter hover). */
  'datasets:images': {
    arg: { name: string; split: 'train' | 'test'; indices: number[] };
    result: {
      images: Uint8Array;
      labels: Uint8Array;
      count: number;
      height: number;
      width: number;
      channels: number;
    };
  };
  /** Imports IDX files or a folder of images under a new name. */
  'datasets:import': { arg: DatasetImportArg; result: DatasetInfo };
  /** Imports files uploaded from the page (browser mode), then removes them, whether it worked or not. */
  'datasets:importUpload': { arg: DatasetUploadImportArg; result: DatasetInfo };
  /** Renames the classes of an imported dataset (one name per label, in label order). */
  'datasets:setClassNames': { arg: { name: string; classNames: string[] }; result: DatasetInfo };
  /** Queues a new run; it starts when the worker is free. */
  'runs:start': {
    /** keepCheckpoints: how many latest per-epoch weights the run keeps (null: all); the stored default when omitted. */
    arg: {
      hyperparams: Hyperparams;
      name?: string;
      backend?: BackendChoice;
      keepCheckpoints?: number | null;
    };
    result: RunSummary;
  };
  /** Asks a queued or running run to stop; takes effect within one batch. */
  'runs:stop': { arg: { runId: string }; result: RunSummary };
  /** Continues a stopped, interrupted or failed run from its last checkpoint. */
  'runs:resume': { arg: { runId: string }; result: RunSummary };
  'runs:list': {
    arg: {
      status?: RunStatus[];
      dataset?: string;
      text?: string;
      sort?: RunSortKey;
      descending?: boolean;
      limit?: number;
      /** Runs to skip first, for reading a long list in pages. */
      offset?: number;
    };
    result: RunSummary[];
  };
  'runs:get': { arg: { runId: string }; result: RunDetail };
  /** The figures of one epoch; the latest when `epoch` is omitted. */
  'runs:snapshot': { arg: { runId: string; epoch?: number }; result: Snapshot };
  /** Decodes latent points with the run's decoder at an epoch (hover, interpolation, traversal). */
  'runs:decode': {
    arg: { runId: string; epoch?: number; points: number[][] };
    result: { images: Uint8Array; count: number };
  };
  'runs:update': {
    arg: { runId: string; name?: string; notes?: string; tags?: string[] };
    result: RunSummary;
  };
  'runs:delete': { arg: { runId: string }; result: { deleted: true } };
  /**
   * Sets how many latest per-epoch weights a run keeps (null: all) and deletes
   * the older ones now; snapshots and the resume checkpoint always stay. The
   * database is compacted when that freed enough.
   */
  'runs:prune': { arg: { runId: string; keepCheckpoints: number | null }; result: PruneReport };
  /** Reads (or, given `keepCheckpoints`, sets) the retention new runs take, with the database's size. */
  'runs:retention': { arg: { keepCheckpoints?: number | null }; result: RetentionInfo };
  'runs:compare': { arg: { runIds: string[] }; result: RunComparison };
  /**
   * Writes the report folder (PNGs, CSVs, JSON, model) for a run at an epoch.
   * `dir` must be absolute; a folder that is not empty is refused unless
   * `overwrite` is true, and symbolic links in it are never written through.
   */
  'runs:export': {
    arg: {
      runId: string;
      dir: string;
      epoch?: number;
      overwrite?: boolean;
      /** Figure size: 1, 2 or 3 times the figure units (one unit per image pixel); 2 by default. */
      scale?: number;
      /** Files written of each figure; png and svg by default. */
      formats?: FigureFormat[];
      background?: FigureBackground;
    };
    result: { dir: string; files: string[] };
  };
  /**
   * Writes a compare report of two to ten runs (overlaid loss curves, the
   * hyperparameters with what differs marked, final metrics, every run's
   * figures side by side at one epoch: `epoch`, or the newest all have).
   * Same folder rules and figure options as `runs:export`.
   */
  'runs:exportCompare': {
    arg: {
      runIds: string[];
      dir: string;
      epoch?: number;
      overwrite?: boolean;
      scale?: number;
      formats?: FigureFormat[];
      background?: FigureBackground;
    };
    result: { dir: string; files: string[]; epoch: number };
  };
  /** Checks a sweep and queues all its runs (refused whole if any value is out of limits). */
  'sweeps:start': {
    arg: { spec: SweepSpec; name?: string; backend?: BackendChoice };
    result: SweepDetail;
  };
  'sweeps:list': { arg: Record<string, never>; result: SweepSummary[] };
  'sweeps:get': { arg: { sweepId: string }; result: SweepDetail };
  /** Stops handing out runs and stops the ones training; resume continues with what is left. */
  'sweeps:stop': { arg: { sweepId: string }; result: SweepDetail };
  /** Works on a sweep's remaining runs (resuming a run that was cut off from its checkpoint). */
  'sweeps:resume': { arg: { sweepId: string }; result: SweepDetail };
  /** Skips a waiting run, or stops a training one and marks it skipped. */
  'sweeps:skip': { arg: { sweepId: string; jobId: number }; result: SweepDetail };
  /** Moves a waiting run to `position` among the waiting ones (0 = next). */
  'sweeps:move': { arg: { sweepId: string; jobId: number; position: number }; result: SweepDetail };
}

/** A message for the user that did not come from a command (e.g. a database moved aside). */
export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** Events: name → payload, pushed from the core to every connected client. */
export interface Events {
  'app:notice': Notice;
  /** Throttled batch progress (at most ~10 a second). */
  'run:progress': BatchProgress;
  /** One finished epoch; its snapshot is fetched with `runs:snapshot`. */
  'run:epoch': { runId: string; metrics: EpochMetrics };
  /** A run changed status (queued → running → completed/stopped/failed/diverged). */
  'run:status': { run: RunSummary };
  /** Progress of a dataset import (images decoded so far). */
  'dataset:progress': { name: string; done: number; total: number };
  /** A sweep's queue changed (a run claimed, ended, skipped or moved; the sweep stopped or completed). */
  'sweep:status': { sweep: SweepSummary };
}

export type CommandName = keyof Commands;
export type CommandArg<K extends CommandName> = Commands[K]['arg'];
export type CommandResult<K extends CommandName> = Commands[K]['result'];
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = Events[K];

/** A compile error unless `T` lists exactly the keys of `Map`. */
type Exhaustive<Map, T extends readonly (keyof Map)[]> =
  Exclude<keyof Map, T[number]> extends never ? T : never;

function names<Map>() {
  return <const T extends readonly (keyof Map)[]>(list: Exhaustive<Map, T>) => list;
}

/** Every command name, at run time. */
export const commandNames = names<Commands>()([
  'app:info',
  'app:choosePaths',
  'datasets:list',
  'datasets:images',
  'datasets:import',
  'datasets:importUpload',
  'datasets:setClassNames',
  'runs:start',
  'runs:stop',
  'runs:resume',
  'runs:list',
  'runs:get',
  'runs:snapshot',
  'runs:decode',
  'runs:update',
  'runs:delete',
  'runs:prune',
  'runs:retention',
  'runs:compare',
  'runs:export',
  'runs:exportCompare',
  'sweeps:start',
  'sweeps:list',
  'sweeps:get',
  'sweeps:stop',
  'sweeps:resume',
  'sweeps:skip',
  'sweeps:move',
]);

/** Every event name, at run time. */
export const eventNames = names<Events>()([
  'app:notice',
  'run:progress',
  'run:epoch',
  'run:status',
  'dataset:progress',
  'sweep:status',
]);

/** True when `name` is a command of the contract. */
export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (commandNames as readonly string[]).includes(name);
}

/** True when `name` is an event of the contract. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (eventNames as readonly string[]).includes(name);
}

export type Unsubscribe = () => void;

/**
 * What a client sees: one async function per command, and `on` for events.
 * The preload object and the WebSocket client both satisfy this type.
 */
export interface VaeApi {
  call: { [K in CommandName]: (arg: CommandArg<K>) => Promise<Result<CommandResult<K>>> };
  on<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): Unsubscribe;
}

/** The global name under which the Electron preload exposes {@link VaeApi}. */
export const preloadGlobalName = 'vaeStudio';

/** The Electron IPC channel on which main pushes every contract event (name, payload) to the window. */
export const eventChannel = 'vae:event';

/** Frames of the WebSocket protocol. */
export type ClientFrame = { id: number; command: string; arg: unknown };
export type ServerFrame =
  { id: number | null; result: Result<unknown> } | { event: EventName; payload: unknown };

/** Path of the WebSocket endpoint in browser mode. */
export const wsPath = '/api';

/**
 * Query parameter of the WebSocket URL that may carry the connection's first request, a
 * {@link ClientFrame} as JSON: answered as the connection opens, exactly as if it had been
 * sent as the first frame (same checks, same size limit).
 */
export const firstParam = 'first';
