import type { RunComparison } from '../../shared/contract';
import { hyperparamsSchema, type Hyperparams } from '../../shared/hyperparams';
import type { LossTerms, RunSummary } from '../../shared/run';
import { terms } from './rows';

/**
 * The epoch rows a comparison reads, as raw tuples: run id, epoch, then
 * train loss/recon/KL and test loss/recon/KL. Only what a comparison shows:
 * materialising each value costs, and 20 runs × 100 epochs add up.
 */
export type CompareEpochTuple = [string, number, ...(number | null)[]];

export const compareEpochsSql = `
  SELECT run_id, epoch, train_loss, train_recon, train_kl, test_loss, test_recon, test_kl FROM epoch_metrics
  WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, epoch`;

/**
 * Compares runs (in the order given): per-epoch train and test losses
 * aligned on epochs 1..max (null where a run has no such epoch), and a table
 * of every hyperparameter plus dataset hash, backend, device and app
 * version, flagging rows whose values differ.
 */
export function buildComparison(runs: RunSummary[], epochRows: Iterable<CompareEpochTuple>): RunComparison {
  const byRun = new Map<string, CompareEpochTuple[]>();
  let maxEpoch = 0;
  for (const row of epochRows) {
    let list = byRun.get(row[0]);
    if (!list) byRun.set(row[0], (list = []));
    list.push(row);
    if (row[1] > maxEpoch) maxEpoch = row[1];
  }
  const epochs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
  const series = runs.map((run) => {
    const train: (LossTerms | null)[] = new Array<LossTerms | null>(maxEpoch).fill(null);
    const test: (LossTerms | null)[] = new Array<LossTerms | null>(maxEpoch).fill(null);
    for (const [, epoch, trainLoss, trainRecon, trainKl, testLoss, testRecon, testKl] of byRun.get(run.id) ??
      []) {
      train[epoch - 1] = terms(trainLoss ?? null, trainRecon ?? null, trainKl ?? null);
      test[epoch - 1] = terms(testLoss ?? null, testRecon ?? null, testKl ?? null);
    }
    return { runId: run.id, train, test };
  });
  const keys = Object.keys(hyperparamsSchema.shape) as (keyof Hyperparams)[];
  const table = [
    ...keys.map((key) => ({ key, values: runs.map((r) => r.hyperparams[key] as unknown) })),
    { key: 'datasetHash', values: runs.map((r) => r.datasetHash as unknown) },
    { key: 'backend', values: runs.map((r) => r.backend as unknown) },
    { key: 'device', values: runs.map((r) => r.device as unknown) },
    { key: 'appVersion', values: runs.map((r) => r.appVersion as unknown) },
  ].map((row) => {
    const first = JSON.stringify(row.values[0] ?? null);
    return { ...row, differs: row.values.some((v) => JSON.stringify(v ?? null) !== first) };
  });
  return { runs, epochs, series, table };
}
