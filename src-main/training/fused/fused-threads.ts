import { Worker } from 'node:worker_threads';
import type { CompiledModule, SharedMemory } from '../kernels/wasm-module';
import type { FusedRunner } from './fused-mlp';

/**
 * A stand-in pool for the fused step until kernels/threads.ts (KernelThreads)
 * is merged: `count − 1` worker threads, each with its own instance of the
 * module on the shared memory, started by one Atomics.notify per call and
 * waited for on one counter; the caller runs thread 0's share itself.
 *
 * Control words (Int32Array on their own SharedArrayBuffer):
 *   0 generation (bumped per call), 1 threads done, 2 function (0 step, 1 evaluate),
 *   3 the plan's address, 4 a worker failed.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control, thread, count } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('abort'); } } }).exports;
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  try {
    (ctl[2] === 0 ? exports.step : exports.evaluate)(ctl[3], thread, count);
  } catch (e) {
    Atomics.store(ctl, 4, 1);
  }
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
parentPort.close();
`;

export class FusedThreads implements FusedRunner {
  private readonly control = new Int32Array(new SharedArrayBuffer(64));
  private readonly workers: Worker[] = [];

  constructor(
    readonly threads: number,
    module: CompiledModule,
    memory: SharedMemory,
    private readonly run0: (fn: 'step' | 'evaluate', plan: number, thread: number, count: number) => void,
  ) {
    for (let thread = 1; thread < threads; thread++) {
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: { module, memory, control: this.control.buffer, thread, count: threads },
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  run(fn: 'step' | 'evaluate', args: readonly number[]): void {
    const c = this.control;
    const plan = args[0]!;
    Atomics.store(c, 1, 0);
    Atomics.store(c, 2, fn === 'step' ? 0 : 1);
    Atomics.store(c, 3, plan);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    this.run0(fn, plan, 0, this.threads);
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done === this.threads - 1) break;
      Atomics.wait(c, 1, done, 1000);
    }
    if (Atomics.load(c, 4) !== 0) throw new Error('A thread of the fused step failed.');
  }

  close(): Promise<void> {
    Atomics.store(this.control, 0, -1);
    Atomics.notify(this.control, 0);
    return Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
  }
}
