import * as fs from 'node:fs';
import type { AppInfo } from '../../shared/contract';
import { appHandlers } from '../api/app';
import { pendingHandlers } from '../api/pending';
import { appVersion } from '../platform/package-info';
import { AppError } from './app-error';
import { createDispatcher, type Dispatch } from './dispatcher';
import { EventBus } from './event-bus';

export interface CoreOptions {
  /** Folder for the database, imported datasets and exports; created if missing. */
  dataDir: string;
  shell: AppInfo['shell'];
  version?: string;
  logError?: (message: string, error: unknown) => void;
}

/** The app's services behind one dispatch function and one event bus, shared by every shell. */
export interface Core {
  dispatch: Dispatch;
  events: EventBus;
  dataDir: string;
  close(): Promise<void>;
}

/** Builds the core: one handler table over the services, whatever the shell. */
export function createCore(options: CoreOptions): Core {
  const { dataDir, shell, logError } = options;
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new AppError(
      'io_error',
      `The data folder ${dataDir} cannot be created or written (${reason}); choose another with --data-dir.`,
    );
  }
  const events = new EventBus();
  const version = options.version ?? appVersion();
  const dispatch = createDispatcher({
    handlers: { ...appHandlers({ version, dataDir, shell }), ...pendingHandlers() },
    ...(logError ? { logError } : {}),
  });
  return {
    dispatch,
    events,
    dataDir,
    close: () => Promise.resolve(),
  };
}
