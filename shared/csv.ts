import type { EpochMetrics } from './run';

/**
 * CSV text shared by the report export and the renderer's download, so the
 * two metrics files are the same: comma-separated, one header line, `\n` line
 * ends, numbers as JavaScript prints them (`NaN`/`Infinity` spelled out, as
 * pandas reads them).
 */

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

/** One CSV line, without its line end. */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}

/** Rows to CSV text with a header line. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map(csvLine).join('\n') + '\n';
}

/** The per-epoch metrics of a run: one row per epoch, every loss term, β and time. */
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

/** One training batch's losses; `epoch` is unknown for the chart's thinned points. */
export interface BatchCsvRow {
  step: number;
  epoch?: number | null;
  loss: number;
  recon: number;
  kl: number;
}

/**
 * The per-batch training losses: one row per step, the same columns in the
 * report's file and the renderer's download; `epoch` stays empty where the
 * rows do not know it.
 */
export function batchesCsv(rows: readonly BatchCsvRow[]): string {
  return toCsv(
    ['step', 'epoch', 'loss', 'recon', 'kl'],
    rows.map((r) => [r.step, r.epoch ?? null, r.loss, r.recon, r.kl]),
  );
}
