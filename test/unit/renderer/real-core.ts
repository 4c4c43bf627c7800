import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCalls, ListenerMap } from '../../../shared/api-client';
import type {
  CommandArg,
  CommandName,
  CommandResult,
  EventName,
  EventPayload,
  VaeApi,
} from '../../../shared/contract';
import { presetById, type Hyperparams } from '../../../shared/hyperparams';
import { err, type ErrorCode, type Result } from '../../../shared/result';
import type { RunSummary } from '../../../shared/run';
import { createCore, type Core } from '../../../src-main/core/core';
import { createInProcessApi } from '../../../src-main/transports/in-process';
import { TrainingHost } from '../../../src-main/training/host';

/**
 * The renderer's tests talk to the real core, in process (real SQLite file in a
 * temporary folder, real training worker, real MNIST), through {@link SpyApi}:
 * the in-process client plus a record of the calls and, where a test needs a
 * failure the core would not make on demand, an injected one.
 */

// The worker runs compiled JavaScript, as in the app: `npm run build:node` first (`npm test` does).
const workerPath = path.resolve(__dirname, '../../../dist/node/src-main/training/worker.js');

/** Tiny runs: a few hundred images, one small hidden layer, so a run trains in about a second. */
export const tinyHyperparams: Hyperparams = {
  ...presetById('keras-blog').hyperparams,
  hidden: [16],
  epochs: 1,
  batchSize: 64,
  trainLimit: 256,
  testLimit: 100,
};

type Handler<K extends CommandName> = (
  arg: CommandArg<K>,
) => Result<CommandResult<K>> | Promise<Result<CommandResult<K>>>;

/** A client of the real core that records calls and can be told to fail. */
export interface SpyApi extends VaeApi {
  /** Every call, in order. */
  calls: { name: CommandName; arg: unknown }[];
  /** Calls of one command. */
  callsOf<K extends CommandName>(name: K): CommandArg<K>[];
  /** Makes every later call of a command fail with this code and message (without reaching the core). */
  fail(name: CommandName, code: ErrorCode, message: string): void;
  /** Answers a command in the test's stead (a dialog of the desktop shell, a slow import). */
  handle<K extends CommandName>(name: K, handler: Handler<K>): void;
  /** Delivers an event to the page's listeners as if the core had sent it. */
  emit<K extends EventName>(event: K, payload: EventPayload<K>): void;
  /** Back to the core's own answers for every command. */
  restore(): void;
}

export interface TestCore {
  core: Core;
  api: SpyApi;
  dataDir: string;
  /** Starts a tiny run and resolves its summary once it has ended (completed, unless told otherwise). */
  train(options?: { hyperparams?: Partial<Hyperparams>; name?: string }): Promise<RunSummary>;
  /** Resolves the first event of a kind that satisfies `test`. */
  next<K extends EventName>(event: K, test?: (payload: EventPayload<K>) => boolean): Promise<EventPayload<K>>;
  close(): Promise<void>;
}

/** True when the compiled worker is there (it is after `npm run build:node`). */
export const workerBuilt = existsSync(workerPath);

/** Opens a core on a fresh data folder with the real training worker. */
export function openTestCore(): TestCore {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vae-renderer-'));
  const core = createCore({
    dataDir,
    shell: 'browser',
    version: '0.1.0-test',
    host: new TrainingHost({ workerPath }),
    logError: () => undefined,
  });
  const inner = createInProcessApi(core);
  const listeners = new ListenerMap();
  const overrides = new Map<CommandName, Handler<CommandName>>();
  const calls: SpyApi['calls'] = [];
  const api: SpyApi = {
    calls,
    call: buildCalls((name, arg) => {
      calls.push({ name, arg });
      const override = overrides.get(name);
      if (override) return Promise.resolve(override(arg as never));
      const fn = inner.call[name] as (arg: unknown) => Promise<Result<unknown>>;
      return fn(arg);
    }),
    on: (event, listener) => {
      const own = listeners.on(event, listener);
      const fromCore = inner.on(event, listener);
      return () => {
        own();
        fromCore();
      };
    },
    callsOf: <K extends CommandName>(name: K) =>
      calls.filter((c) => c.name === name).map((c) => c.arg as CommandArg<K>),
    fail: (name, code, message) => overrides.set(name, () => err(code, message)),
    handle: (name, handler) => overrides.set(name, handler as unknown as Handler<CommandName>),
    emit: (event, payload) => listeners.emit(event, payload),
    restore: () => overrides.clear(),
  };

  function next<K extends EventName>(
    event: K,
    test: (payload: EventPayload<K>) => boolean = () => true,
  ): Promise<EventPayload<K>> {
    return new Promise((resolve) => {
      const off = inner.on(event, (payload) => {
        if (!test(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  async function train(
    options: { hyperparams?: Partial<Hyperparams>; name?: string } = {},
  ): Promise<RunSummary> {
    // Listening before the start: the test, not the event loop's order, says nothing is missed.
    let id: string | null = null;
    const end = next('run:status', ({ run }) => run.id === id && !['queued', 'running'].includes(run.status));
    const started = await inner.call['runs:start']({
      hyperparams: { ...tinyHyperparams, ...options.hyperparams },
      backend: 'wasm',
      ...(options.name ? { name: options.name } : {}),
    });
    if (!started.ok) throw new Error(started.error.message);
    id = started.value.id;
    const ended = await end;
    if (ended.run.status !== 'completed')
      throw new Error(`run ${ended.run.status}: ${ended.run.statusMessage}`);
    return ended.run;
  }

  return {
    core,
    api,
    dataDir,
    train,
    next,
    async close() {
      inner.close();
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
