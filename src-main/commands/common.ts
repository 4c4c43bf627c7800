import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ErrorCode, Result } from '../../shared/result';
import type { Notice, VaeApi } from '../../shared/contract';
import { createCore, type Core } from '../core/core';
import { createInProcessApi } from '../transports/in-process';
import { resolveDataDir } from '../platform/paths';

/** Bad arguments or input: one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** Anything else that went wrong, said in one line: exit code 1. */
export class CliFailure extends Error {}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars redraw in place there). */
  isTty?: boolean;
}

/** parseArgs, with its errors turned into one usage line. */
export function parse<const T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see vae-studio --help)`);
  }
}

/** Options every data-touching command takes. */
export const dataOptions = {
  'data-dir': { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Error codes that mean the user's input was at fault (exit 2); the rest exit 1. */
const inputCodes: readonly ErrorCode[] = ['invalid_argument', 'invalid_input', 'not_found', 'conflict'];

/** The value of a command's Result, or the error as a CLI error with its exit code. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const { code, message } = result.error;
  throw inputCodes.includes(code) ? new UsageError(message) : new CliFailure(message);
}

/** The flags that choose the database, and whether the command only reads it. */
export interface CoreFlags {
  'data-dir'?: string | undefined;
  db?: string | undefined;
  /** Open the database read-only: never moved aside, upgraded or marked (see {@link readsOnly}). */
  readonly?: boolean;
}

/** The subcommands that only read the database. */
const readOnlySubcommands: Record<'runs' | 'datasets', readonly string[]> = {
  runs: ['list', 'show', 'export'],
  datasets: ['list'],
};

/** `{ readonly: true }` when `vae-studio <command> <sub>` only reads the database; spread it into the flags. */
export function readsOnly(command: 'runs' | 'datasets', sub: string | undefined): { readonly: boolean } {
  return { readonly: sub !== undefined && readOnlySubcommands[command].includes(sub) };
}

/** Opens the core on the data folder the flags name. */
export function openCore(values: CoreFlags, io: CliIo): Core {
  let core: Core;
  try {
    core = createCore({
      dataDir: resolveDataDir(values['data-dir']),
      ...(values.db ? { dbPath: values.db } : {}),
      ...(values.readonly ? { readonly: true } : {}),
      shell: 'in-process',
      logError: (message, error) => {
        if (process.env.VAE_STUDIO_DEBUG) console.error(message, error);
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliFailure(message);
  }
  // The database was left as it is (e.g. a newer version wrote it): the command has nothing to work on.
  if (core.unavailable) throw new CliFailure(core.unavailable.message);
  for (const notice of core.notices) printNotice(io, notice);
  return core;
}

/** One notice, one line on stderr; on a terminal it first clears a progress line drawn in place. */
export function printNotice(io: CliIo, notice: Notice): void {
  const message = notice.message.replace(/\s*\n\s*/g, ' ');
  io.stderr(`${io.isTty ? '\r\x1b[K' : ''}${notice.level}: ${message}\n`);
}

/** Runs `body` with a core and always closes it. */
export async function withCore<T>(
  values: CoreFlags,
  io: CliIo,
  body: (core: Core) => Promise<T>,
): Promise<T> {
  const core = openCore(values, io);
  // The UI shows these as toasts; a script has only stderr, so nothing the core says is dropped.
  const off = core.events.onAny((event, payload) => {
    if (event === 'app:notice') printNotice(io, payload as Notice);
  });
  try {
    return await body(core);
  } finally {
    off();
    await core.close();
  }
}

/** Runs `body` with the typed in-process client over a core, closing both after. */
export function withApi<T>(
  values: CoreFlags,
  io: CliIo,
  body: (api: VaeApi, core: Core) => Promise<T>,
): Promise<T> {
  return withCore(values, io, async (core) => {
    const api = createInProcessApi(core);
    try {
      return await body(api, core);
    } finally {
      api.close();
    }
  });
}

/** Parses a flag as an integer or a number, naming the flag when it is neither. */
export function numberFlag(
  flag: string,
  value: string | undefined,
  kind: 'int' | 'float',
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be ${kind === 'int' ? 'an integer' : 'a number'}, not "${value}".`);
  }
  return n;
}

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
