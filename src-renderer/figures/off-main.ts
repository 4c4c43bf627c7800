import { runFigureJob, type FigureJob, type FigureResult } from './jobs';
import type { WorkerAnswer, WorkerRequest } from './figure-worker';

// One figure worker for the page, started on first use. Where none can start
// (no Worker, as in unit tests, or a worker script the page may not load) jobs
// run in the page instead: the same results, only on the main thread.

/** A job's result and the milliseconds it ran (without the time it waited for the worker). */
export interface Done<R> {
  result: R;
  ms: number;
}

type Pending = { job: FigureJob; resolve: (done: Done<unknown>) => void; reject: (error: Error) => void };

let worker: Worker | null | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function runHere({ job, resolve, reject }: Pending): void {
  try {
    const started = globalThis.performance.now();
    const { result } = runFigureJob(job);
    resolve({ result, ms: globalThis.performance.now() - started });
  } catch (error) {
    reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function figureWorker(): Worker | null {
  if (worker !== undefined) return worker;
  worker = null;
  if (typeof Worker === 'undefined') return null;
  try {
    const started = new Worker(new URL('./figure-worker.ts', import.meta.url), {
      type: 'module',
      name: 'figures',
    });
    started.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      const answer = event.data;
      const job = pending.get(answer.id);
      pending.delete(answer.id);
      if (!job) return;
      if ('error' in answer) job.reject(new Error(answer.error));
      else job.resolve({ result: answer.result, ms: answer.ms });
    };
    // Only a worker that failed to start gets here (jobs catch their own errors): finish its jobs here.
    started.onerror = (event) => {
      event.preventDefault();
      started.terminate();
      worker = null;
      const left = [...pending.values()];
      pending.clear();
      left.forEach(runHere);
    };
    worker = started;
  } catch {
    worker = null;
  }
  return worker;
}

/**
 * Runs a figure job in the figure worker, so the page stays responsive while
 * it runs; the job's arrays are copied to the worker, its result's handed back.
 */
export function offMain<J extends FigureJob>(job: J): Promise<Done<FigureResult<J>>> {
  return new Promise<Done<FigureResult<J>>>((resolve, reject) => {
    const entry: Pending = { job, resolve: resolve as (done: Done<unknown>) => void, reject };
    const target = figureWorker();
    if (!target) {
      runHere(entry);
      return;
    }
    const id = nextId++;
    pending.set(id, entry);
    try {
      target.postMessage({ id, job } satisfies WorkerRequest);
    } catch {
      pending.delete(id);
      runHere(entry);
    }
  });
}
