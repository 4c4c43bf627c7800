/** Milliseconds of queued work one frame runs before leaving the rest to the next. */
export const frameBudgetMs = 8;

type Job = { run: () => void };
const queue = new Set<Job>();
let requested = false;

const now = (): number => globalThis.performance?.now() ?? Date.now();

function request(): void {
  if (requested) return;
  requested = true;
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
  else setTimeout(flush, 16);
}

// Every figure draws in a frame callback: when an epoch's snapshot lands they all
// want the same frame. Running them until the budget is spent and the rest in the
// next frames keeps each frame short (the longest is one figure's draw), so the
// page keeps responding while a run trains.
function flush(): void {
  requested = false;
  const started = now();
  let ran = 0;
  try {
    for (const job of [...queue]) {
      if (ran > 0 && now() - started >= frameBudgetMs) break;
      queue.delete(job);
      ran++;
      job.run();
    }
  } finally {
    if (queue.size > 0) request();
  }
}

/**
 * Runs `callback` before a coming repaint — the next one unless that frame's
 * budget is already spent by earlier callbacks (a timer where there is no
 * animation frame, as in tests); returns a function that cancels it.
 */
export function nextFrame(callback: () => void): () => void {
  const job: Job = { run: callback };
  queue.add(job);
  request();
  return () => {
    queue.delete(job);
  };
}

/** Resolves in a new task, so that work after it does not lengthen the current one. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs `callback` soon in a task of its own; returns a function that cancels it. */
export function inTask(callback: () => void): () => void {
  const timer = setTimeout(callback, 0);
  return () => clearTimeout(timer);
}

/** Runs `callback` when the page is idle (within two seconds at most). */
export function whenIdle(callback: () => void): void {
  if (typeof globalThis.requestIdleCallback === 'function')
    globalThis.requestIdleCallback(() => callback(), { timeout: 2000 });
  else setTimeout(callback, 50);
}
