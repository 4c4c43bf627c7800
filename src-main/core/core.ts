import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppInfo, Notice } from '../../shared/contract';
import { appHandlers, type PathChooser } from '../api/app';
import { datasetHandlers } from '../api/datasets';
import { runHandlers } from '../api/runs';
import { appVersion } from '../platform/package-info';
import { openStore, type RunStore } from '../store';
import { TrainingHost } from '../training/host';
import { AppError } from './app-error';
import { type DecodeHost, DecodeService } from './decode-service';
import { createDispatcher, type Dispatch } from './dispatcher';
import { EventBus } from './event-bus';
import { RunService, type TrainingHostLike } from './run-service';

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
}

/** The app's services behind one dispatch function and one event bus, shared by every shell. */
export interface Core {
  dispatch: Dispatch;
  events: EventBus;
  dataDir: string;
  store: RunStore;
  runs: RunService;
  /** What happened at start-up that the user must hear about. */
  notices: Notice[];
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

/** Builds the core: the store, the training host and one handler table over them, whatever the shell. */
export function createCore(options: CoreOptions): Core {
  const { dataDir, shell } = options;
  const logError = options.logError ?? ((message: string, error: unknown) => console.error(message, error));
  ensureWritableFolder(dataDir);
  const version = options.version ?? appVersion();
  const store = openStore({
    path: options.dbPath ?? process.env.VAE_STUDIO_DB ?? path.join(dataDir, databaseFileName),
    appVersion: version,
  });
  const events = new EventBus();
  const notices = [...store.notices];
  const host = options.host ?? new TrainingHost();
  const runs = new RunService({ store, host, events, dataDir, logError });
  const decoder = new DecodeService({ store, host, events, dataDir });
  const dispatch = createDispatcher({
    handlers: {
      ...appHandlers({ version, dataDir, shell, notices, choosePaths: options.choosePaths }),
      ...datasetHandlers({ dataDir, store, events }),
      ...runHandlers({ runs, decoder, store }),
    },
    logError,
  });
  let closed: Promise<void> | null = null;
  return {
    dispatch,
    events,
    dataDir,
    store,
    runs,
    notices,
    close: () =>
      (closed ??= (async () => {
        await runs.close();
        store.close();
      })()),
  };
}
