import { StoreError } from './errors';
import type { BatchLoss } from './types';

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/**
 * Batch losses waiting to be written, per run in arrival order. A row per
 * training step would be a transaction per step; the store writes them with
 * the epoch, at a run's end, or once enough are pending. Rows leave the
 * buffer only after the transaction that wrote them committed
 * ({@link drop}), so a failed write keeps them.
 */
export class BatchBuffer {
  private readonly rows = new Map<string, BatchLoss[]>();
  private count = 0;

  /**
   * Adds a run's rows and returns how many rows are pending in all. Rows come
   * from the worker; one without a positive whole step and epoch fails with
   * `invalid_input` and none of the call's rows are kept.
   */
  add(runId: string, rows: readonly BatchLoss[]): number {
    for (const r of rows) {
      if (!isPositiveInt(r.step) || !isPositiveInt(r.epoch)) {
        throw new StoreError(
          'invalid_input',
          `Batch rows need a positive integer step and epoch (got step ${r.step}, epoch ${r.epoch}).`,
        );
      }
    }
    let list = this.rows.get(runId);
    if (!list) this.rows.set(runId, (list = []));
    for (const r of rows) list.push(r);
    this.count += rows.length;
    return this.count;
  }

  /** The pending rows of a run, oldest first; empty when none are. */
  of(runId: string): readonly BatchLoss[] {
    return this.rows.get(runId) ?? [];
  }

  /** The runs with pending rows. */
  runIds(): string[] {
    return [...this.rows.keys()];
  }

  /** Forgets these runs' rows (written, or their run deleted). */
  drop(runIds: Iterable<string>): void {
    for (const runId of [...runIds]) {
      const list = this.rows.get(runId);
      if (!list) continue;
      this.count -= list.length;
      this.rows.delete(runId);
    }
  }

  /** Number of rows pending over all runs. */
  get size(): number {
    return this.count;
  }
}
