import { toCsv } from '../../shared/csv';

export { csvField, metricsCsv, toCsv } from '../../shared/csv';

/** The per-batch training losses as CSV. */
export function batchesCsv(
  rows: readonly { step: number; loss: number; recon: number; kl: number }[],
): string {
  return toCsv(
    ['step', 'loss', 'recon', 'kl'],
    rows.map((r) => [r.step, r.loss, r.recon, r.kl]),
  );
}
