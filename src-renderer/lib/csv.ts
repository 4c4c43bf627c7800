import type { EpochMetrics } from '../../shared/run';

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: unknown): string {
  const text = fieldText(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows to CSV text with a header line. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** The per-epoch metrics of a run as CSV: one row per epoch, every loss term, β, time. */
export function metricsCsv(epochs: readonly EpochMetrics[]): string {
  return toCsv(
    [
      'epoch',
      'train_loss',
      'train_recon',
      'train_kl',
      'test_loss',
      'test_recon',
      'test_kl',
      'beta',
      'seconds',
      'samples_per_second',
    ],
    epochs.map((e) => [
      e.epoch,
      e.train.loss,
      e.train.recon,
      e.train.kl,
      e.test.loss,
      e.test.recon,
      e.test.kl,
      e.beta,
      e.seconds,
      e.samplesPerSecond,
    ]),
  );
}

/** The per-batch training losses as CSV. */
export function batchesCsv(
  rows: readonly { step: number; loss: number; recon: number; kl: number }[],
): string {
  return toCsv(
    ['step', 'loss', 'recon', 'kl'],
    rows.map((r) => [r.step, r.loss, r.recon, r.kl]),
  );
}
