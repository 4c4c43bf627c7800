import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandNames, type AppInfo, type CommandName, type Notice } from '../../shared/contract';
import type { ApiError } from '../../shared/result';
import { appHandlers, type PathChooser } from '../api/app';
import { datasetHandlers } from '../api/datasets';
import { runHandlers } from '../api/runs';
import { sweepHandlers } from '../api/sweeps';
import { appVersion } from '../platform/package-info';
import { openStore, StoreError, type RunStore } from '../store';
import { TrainingHost } from '../training/host';
import { AppError } from './app-error';
import { type DecodeHost, DecodeService } from './decode-service';
import { createDispatcher, type Dispatch, type HandlerTable } from './dispatcher';
import { EventBus } from './event-bus';
import { RunService, type TrainingHostLike } from './run-service';
import { SweepStore } from '../store/sweep-store';
import { SweepService } from './sweep-service';

/** File name of the database inside the data folder. */
export const databaseFileName = 'vae-studio.db';

export interface CoreOptions {
  /** Folder for the database, imported datasets and exports; created if missing. */
  dataDir: string;
  /** The database file; `<dataDir>/vae-studio.db` by default (`--db`, `VAE_STUDIO_DB`). */
  dbPath?: string;
  shell: AppInfo['shell'];
  version?: string;
  logError?: (message: string, error: unknown) => void;
  /** A stand-in training host (tests); the real worker-backed one by default. */
  host?: TrainingHostLike & DecodeHost;
  /** The shell's open dialog (the desktop app's), for `app:choosePaths`. */
  choosePaths?: PathChooser;
  /**
   * Open the database for reading only (CLI commands that only read): it is
   * never moved aside, upgraded or marked, and a missing one reads as empty.
   */
  readonly?: boolean;
  /** Work on the sweeps left unfinished (a closed or killed app) as soon as the core is up. */
  resumeSweeps?: boolean;
}

/** The app's services behind one dispatch function and one event bus, shared by every shell. */
export interface Core {
  dispatch: Dispatch;
  events: EventBus;
  dataDir: string;
  store: RunStore;
  runs: RunService;
  sweeps: SweepService;
  /** What happened at start-up that the user must hear about. */
  notices: Notice[];
  /**
   * Why the database was not opened (a newer version wrote it; or, read-only,
   * its older schema would need an upgrade), or null. When set, every command but `app:*` answers this error, the
   * notices say it, and `store` and `runs` throw it.
   */
  unavailable: ApiError | null;
  close(): Promise<void>;
}

function ensureWritableFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new AppError(
      'io_error',
      `The data folder ${dir} cannot be created or written (${reason}); choose another with --data-dir.`,
    );
  }
}

/**
 * A core without a database: `app:info` (with the error among its notices)
 * still answers, so the desktop and browser UIs can show why; every other
 * command fails with the same coded error instead of crashing.
 */
function unavailableCore(options: CoreOptions, version: string, problem: ApiError): Core {
  const refuse = (): never => {
    throw new AppError(problem.code, problem.message);
  };
  const notices: Notice[] = [{ level: 'error', message: problem.message }];
  const app = appHandlers({
    version,
    dataDir: options.dataDir,
    shell: options.shell,
    notices,
    choosePaths: options.choosePaths,
  });
  const refused = Object.fromEntries(commandNames.map((name) => [name, refuse])) as Record<
    CommandName,
    typeof refuse
  >;
  const handlers: HandlerTable = { ...refused, ...app };
  return {
    dispatch: createDispatcher({ handlers, logError: options.logError }),
    events: new EventBus(),
    dataDir: options.dataDir,
    get store(): RunStore {
      return refuse();
    },
    get runs(): RunService {
      return refuse();
    },
    get sweeps(): SweepService {
      return refuse();
    },
    notices,
    unavailable: problem,
    close: () => Promise.resolve(),
  };
}

/** Builds the core: the store, the training host and one handler table over them, whatever the shell. */
export function createCore(options: CoreOptions): Core {
  const { dataDir, shell } = options;
  const logError = options.logError ?? ((message: string, error: unknown) => console.error(message, error));
  ensureWritableFolder(dataDir);
  const version = options.version ?? appVersion();
  let store: RunStore;
  try {
    store = openStore({
      path: options.dbPath ?? process.env.VAE_STUDIO_DB ?? path.join(dataDir, databaseFileName),
      appVersion: version,
      ...(options.readonly ? { readonly: true } : {}),
    });
  } catch (error) {
    // A file this build must not change (a newer version's) is left alone and nothing is opened;
    // other failures stop start-up as before.
    if (error instanceof StoreError && error.code === 'unavailable') {
      return unavailableCore({ ...options, logError }, version, { code: error.code, message: error.message });
    }
    throw error;
  }
  const events = new EventBus();
  const notices = [...store.notices];
  const host = options.host ?? new TrainingHost();
  const runs = new RunService({ store, host, events, dataDir, logError });
  const decoder = new DecodeService({ store, host, events, dataDir });
  const sweepStore = new SweepStore({ db: store.connection });
  const sweeps = new SweepService({ sweeps: sweepStore, runs, store, events, dataDir, logError });
  const dispatch = createDispatcher({
    handlers: {
      ...appHandlers({ version, dataDir, shell, notices, choosePaths: options.choosePaths }),
      ...datasetHandlers({ dataDir, store, events }),
      ...runHandlers({ runs, decoder, store }),
      ...sweepHandlers({ sweeps }),
    },
    logError,
  });
  if (options.resumeSweeps) {
    for (const id of sweeps.unfinished()) sweeps.resume(id);
  }
  let closed: Promise<void> | null = null;
  return {
    dispatch,
    events,
    dataDir,
    store,
    runs,
    sweeps,
    notices,
    unavailable: null,
    close: () =>
      (closed ??= (async () => {
        // Sweeps first: their loops must see the runs interrupted by closing as such, not as ended.
        sweeps.close();
        await runs.close();
        sweepStore.close();
        store.close();
      })()),
  };
}
