/**
 * Runs in a child process (through jiti) to drive a real RunStore from a
 * second process: `child-store.ts <mode> <db path> [count]`. Prints one JSON
 * line with what it did.
 *
 * - `write`: creates `count` runs, each with one recorded epoch and batch rows.
 * - `fill`: records epochs with 1 MB checkpoints until a write fails (the parent
 *   sets a file-size limit), then reports the error.
 * - `read` / `open`: opens the store read-only / for writing and lists the
 *   names of its runs, or reports why it could not.
 */
import { openStore, StoreError } from '../../../src-main/store';
import { checkpoint, floats, hyperparams, metrics } from './fixtures';

const [mode, path, countArg] = process.argv.slice(2);
if (!path) throw new Error('usage: child-store.ts <write|fill|read|open> <db path> [count]');

function describe(caught: unknown): { code: string; message: string } {
  return caught instanceof StoreError
    ? { code: caught.code, message: caught.message }
    : { code: 'other', message: String(caught) };
}

if (mode === 'read' || mode === 'open') {
  try {
    const reader = openStore({ path, appVersion: 'child', readonly: mode === 'read' });
    const names = reader.listRuns().map((r) => r.name);
    const notices = reader.notices.map((n) => n.message);
    reader.close();
    console.log(JSON.stringify({ names, notices, error: null }));
  } catch (caught) {
    console.log(JSON.stringify({ names: null, error: describe(caught) }));
  }
  process.exit(0);
}

const store = openStore({ path, appVersion: 'child' });

if (mode === 'write') {
  const ids: string[] = [];
  for (let i = 0; i < Number(countArg ?? 20); i++) {
    const run = store.createRun({
      hyperparams: hyperparams(),
      datasetHash: 'h',
      name: `child ${i}`,
      status: 'running',
    });
    store.appendBatchMetrics(run.id, [{ step: 1, epoch: 1, loss: 1, recon: 1, kl: 0 }]);
    store.recordEpoch({ runId: run.id, metrics: metrics(1) });
    store.setStatus({ runId: run.id, status: 'completed' });
    ids.push(run.id);
  }
  store.close();
  console.log(JSON.stringify({ ids }));
} else if (mode === 'fill') {
  const run = store.createRun({
    hyperparams: hyperparams(),
    datasetHash: 'h',
    name: 'fill',
    status: 'running',
  });
  let stored = 0;
  let error: { code: string; message: string } | null = null;
  for (let e = 1; e <= 50 && !error; e++) {
    const cp = checkpoint(e);
    cp.weights.push({ name: 'big', shape: [262_144], data: floats(262_144, e) });
    try {
      store.recordEpoch({ runId: run.id, metrics: metrics(e), checkpoint: cp });
      stored = e;
    } catch (caught) {
      error = describe(caught);
    }
  }
  try {
    store.close();
  } catch {
    // The final flush may fail on the same full disk; the parent checks what is stored.
  }
  console.log(JSON.stringify({ runId: run.id, stored, error }));
}
