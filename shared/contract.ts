import type { BackendChoice, BackendName, Hyperparams } from './hyperparams';
import type { Result } from './result';
import type { BatchProgress, EpochMetrics, LossTerms, RunStatus, RunSummary, Snapshot } from './run';

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
  /** Label names by index ("0".."9" for MNIST, folder names for folders). */
  labels: string[];
  createdAt: string;
}

/** Argument of `datasets:import`. */
export type DatasetImportArg =
  | { kind: 'idx'; name: string; paths: string[] }
  | { kind: 'folder'; name: string; path: string; size: number; channels: 1 | 3 };

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
  /** Queues a new run; it starts when the worker is free. */
  'runs:start': {
    arg: { hyperparams: Hyperparams; name?: string; backend?: BackendChoice };
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
  'runs:compare': { arg: { runIds: string[] }; result: RunComparison };
  /**
   * Writes the report folder (PNGs, CSVs, JSON, model) for a run at an epoch.
   * `dir` must be absolute; a folder that is not empty is refused unless
   * `overwrite` is true, and symbolic links in it are never written through.
   */
  'runs:export': {
    arg: { runId: string; dir: string; epoch?: number; overwrite?: boolean };
    result: { dir: string; files: string[] };
  };
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
  'runs:start',
  'runs:stop',
  'runs:resume',
  'runs:list',
  'runs:get',
  'runs:snapshot',
  'runs:decode',
  'runs:update',
  'runs:delete',
  'runs:compare',
  'runs:export',
]);

/** Every event name, at run time. */
export const eventNames = names<Events>()([
  'app:notice',
  'run:progress',
  'run:epoch',
  'run:status',
  'dataset:progress',
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
