import type * as WorkerThreads from 'node:worker_threads';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type CompiledModule, instantiate, kernelModule, type SharedMemory } from './wasm-module';

/**
 * The threads of one run's kernels: `count - 1` worker threads plus the
 * calling thread, all with an instance of the same AssemblyScript modules on
 * one shared memory. `run(module, fn, args)` makes every thread t call
 * `fn(...args, t, count)` at once and returns when all have returned, so a
 * kernel splits its work by thread index (and syncs phases with
 * wasm/lib/barrier.ts). Synchronous on purpose: tfjs kernels call it from
 * inside their own synchronous functions.
 *
 * Coordination is through a control block in the shared memory itself, below
 * address 1024 (scripts/build-wasm.mjs starts the modules' data there), so
 * that the barriers inside a kernel can see the abort word:
 *
 *   i32[0] generation   bumped by the caller to start a job
 *   i32[1] done         worker threads finished with the job
 *   i32[2] kind         RUN | LOAD | EXIT
 *   i32[3] module       index into the threads' module list
 *   i32[4] function     index into that module's exports
 *   i32[5] argc
 *   i32[6] failed       1 + the index of the first thread that failed
 *   i32[7] abort        set on a failure: barriers trap instead of waiting forever
 *   f64 at byte 64      the job's arguments (at most 32)
 */

const GEN = 0;
const DONE = 1;
const KIND = 2;
const MODULE = 3;
const FN = 4;
const ARGC = 5;
const FAILED = 6;
const ABORT = 7;
const ARGS_BYTE = 64;
const MAX_ARGS = 32;
const RUN = 1;
const LOAD = 2;
const EXIT = 3;
/** Rounds of polling before sleeping: jobs are often shorter than a futex wake-up. */
const SPINS = 20000;

/** A thread of the pool failed or stopped: the run fails with this; the pool is unusable after it. */
export class KernelThreadError extends Error {
  override name = 'KernelThreadError';
}

export interface LoadedModule<T> {
  /** The calling thread's instance. */
  readonly exports: T;
  readonly id: number;
}

interface Entry {
  exports: Record<string, unknown>;
  names: string[];
}

/**
 * The body of each worker thread, run from its source text (eval: no file to
 * find, inside an asar archive or not). Only Node and WebAssembly globals.
 */
function threadMain(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threads = require('node:worker_threads') as typeof WorkerThreads;
  const { memory, index, count, port } = threads.workerData as {
    memory: SharedMemory;
    index: number;
    count: number;
    port: MessagePort;
  };
  const wasm = (
    globalThis as unknown as {
      WebAssembly: { Instance: new (m: object, i: object) => { exports: Record<string, unknown> } };
    }
  ).WebAssembly;
  const ctrl = new Int32Array(memory.buffer, 0, 16);
  const args = new Float64Array(memory.buffer, 64, 32);
  const modules: Array<Array<(...a: number[]) => unknown>> = [];
  let finished = false;
  const finish = () => {
    if (Atomics.add(ctrl, 1, 1) + 1 === count - 1) Atomics.notify(ctrl, 1);
  };
  const fail = (message: string) => {
    Atomics.compareExchange(ctrl, 6, 0, index + 1);
    Atomics.store(ctrl, 7, 1);
    port.postMessage({ index, message });
  };
  // A thread that stops in the middle of a job still counts itself done, so the caller never waits forever.
  process.on('exit', () => {
    if (finished) return;
    fail(`kernel thread ${index} stopped`);
    finish();
  });
  // start() zeroed the control block before this thread existed: no job can be missed.
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctrl, 0) === seen) {
      if (spins++ < 20000) continue;
      Atomics.wait(ctrl, 0, seen);
    }
    seen = Atomics.load(ctrl, 0);
    const kind = ctrl[2]!;
    if (kind === 3 && ctrl[3] === index) {
      // EXIT addressed to this thread (tests of a thread that dies mid-run).
      process.exit(1);
    }
    try {
      if (kind === 2) {
        const message = threads.receiveMessageOnPort(port)?.message as { module: object; names: string[] };
        const instance = new wasm.Instance(message.module, {
          env: {
            memory,
            abort: () => {
              throw new Error('AssemblyScript abort');
            },
          },
        });
        modules.push(message.names.map((name) => instance.exports[name] as (...a: number[]) => unknown));
      } else if (kind === 1) {
        const fn = modules[ctrl[3]!]![ctrl[4]!]!;
        const argc = ctrl[5]!;
        const call: number[] = [];
        for (let i = 0; i < argc; i++) call.push(args[i]!);
        call.push(index, count);
        fn(...call);
      }
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    finish();
  }
  finished = true;
}

export class KernelThreads {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly entries: Entry[] = [];
  private broken: KernelThreadError | null = null;

  private constructor(
    readonly count: number,
    readonly memory: SharedMemory,
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, 0, 16);
    this.args = new Float64Array(memory.buffer, ARGS_BYTE, MAX_ARGS);
  }

  /** Starts `count - 1` worker threads on `memory` (the caller is thread 0). */
  static async start(count: number, memory: SharedMemory): Promise<KernelThreads> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`Thread count must be a positive integer, got ${count}.`);
    new Int32Array(memory.buffer, 0, ARGS_BYTE / 4).fill(0);
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const source = `(${threadMain.toString()})()`;
    for (let index = 1; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(source, {
        eval: true,
        workerData: { memory, index, count, port: port2 },
        transferList: [port2],
      });
      // Their failures reach the caller through the control block; an idle pool must not keep Node alive.
      worker.on('error', () => undefined);
      workers.push(worker);
      ports.push(port1);
    }
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('online', () => resolve());
            worker.once('exit', (code) =>
              reject(new KernelThreadError(`A kernel thread could not start (exit code ${code}).`)),
            );
          }),
      ),
    ).catch(async (error: unknown) => {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    });
    // An idle pool must not keep Node alive.
    for (const worker of workers) worker.unref();
    return new KernelThreads(count, memory, workers, ports);
  }

  /** Instantiates the module `name` (wasm/<name>.ts) on every thread. */
  load<T>(name: string, fma: boolean): LoadedModule<T> {
    const module: CompiledModule = kernelModule(name, fma);
    const exports = instantiate<Record<string, unknown>>(module, this.memory);
    const names = Object.keys(exports).filter((key) => typeof exports[key] === 'function');
    for (const port of this.ports) port.postMessage({ module, names });
    this.dispatch(LOAD, this.entries.length, 0, [], () => undefined);
    this.entries.push({ exports, names });
    return { exports: exports as T, id: this.entries.length - 1 };
  }

  /** Every thread t runs `fn(...args, t, count)`; returns when all have returned. */
  run(module: LoadedModule<unknown>, fn: string, args: readonly number[]): void {
    const entry = this.entries[module.id];
    const index = entry?.names.indexOf(fn) ?? -1;
    if (!entry || index < 0) throw new KernelThreadError(`No kernel "${fn}" in module ${module.id}.`);
    if (args.length > MAX_ARGS) throw new KernelThreadError(`A kernel takes at most ${MAX_ARGS} arguments.`);
    const own = entry.exports[fn] as (...a: number[]) => unknown;
    this.dispatch(RUN, module.id, index, args, () => own(...args, 0, this.count));
  }

  /** Makes worker thread `index` exit as if it had died, at its next job (for tests of that failure). */
  stopThreadForTest(index: number): void {
    this.dispatch(EXIT, index, 0, [], () => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const port of this.ports) port.close();
    this.broken ??= new KernelThreadError('The kernel threads were closed.');
  }

  private dispatch(kind: number, module: number, fn: number, args: readonly number[], own: () => void): void {
    if (this.broken) throw this.broken;
    const ctrl = this.ctrl;
    Atomics.store(ctrl, DONE, 0);
    ctrl[KIND] = kind;
    ctrl[MODULE] = module;
    ctrl[FN] = fn;
    ctrl[ARGC] = args.length;
    this.args.set(args);
    Atomics.add(ctrl, GEN, 1);
    if (this.workers.length > 0) Atomics.notify(ctrl, GEN);
    let ownError: unknown = null;
    try {
      own();
    } catch (error) {
      ownError = error;
      Atomics.compareExchange(ctrl, FAILED, 0, 1);
      Atomics.store(ctrl, ABORT, 1);
    }
    this.waitForWorkers();
    const failed = Atomics.load(ctrl, FAILED);
    if (failed === 0) return;
    this.broken = new KernelThreadError(this.failureMessage(failed, ownError));
    throw this.broken;
  }

  private waitForWorkers(): void {
    const ctrl = this.ctrl;
    const expected = this.workers.length;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= expected) return;
      if (spins++ < SPINS) continue;
      Atomics.wait(ctrl, DONE, done, 50);
    }
  }

  private failureMessage(failed: number, ownError: unknown): string {
    const thread = failed - 1;
    let reason = ownError instanceof Error ? ownError.message : null;
    if (thread > 0) {
      const message = receiveMessageOnPort(this.ports[thread - 1]!)?.message as
        { message?: string } | undefined;
      reason = message?.message ?? 'it stopped';
    }
    return `Kernel thread ${thread} of ${this.count} failed: ${reason ?? 'unknown error'}. The run can be resumed from its last checkpoint.`;
  }
}
