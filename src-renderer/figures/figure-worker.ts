import { runFigureJob, type FigureJob } from './jobs';

// The figure worker: runs figure jobs away from the page's main thread, one at a
// time in the order they come. Requests carry a number; answers carry it back,
// with the result and the milliseconds the job ran, or the error's message.

export type WorkerRequest = { id: number; job: FigureJob };
export type WorkerAnswer = { id: number; result: unknown; ms: number } | { id: number; error: string };

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const { id, job } = event.data;
  try {
    const started = performance.now();
    const { result, transfer } = runFigureJob(job);
    self.postMessage({ id, result, ms: performance.now() - started } satisfies WorkerAnswer, { transfer });
  } catch (error) {
    self.postMessage({
      id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies WorkerAnswer);
  }
};
