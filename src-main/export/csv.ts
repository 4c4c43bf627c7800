import { csvLine as line } from '../../shared/csv';
import type { BatchLoss } from '../store';

export { metricsCsv } from '../../shared/csv';

/**
 * CSV text of the report: comma-separated, one header line, `\n` line ends,
 * numbers at full precision (`NaN`/`Infinity` spelled out, as pandas reads them).
 */

/** Shortest text that reads back as the same float32 (9 significant digits always suffice). */
function float32(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(9)) : value;
}

/** One row per training batch (every stored step, not thinned). */
export function batchesCsv(rows: readonly BatchLoss[]): string {
  const out = ['step,epoch,loss,recon,kl'];
  for (const r of rows) out.push(line([r.step, r.epoch, r.loss, r.recon, r.kl]));
  return out.join('\n') + '\n';
}

/** Arguments of {@link latentCsv}. */
export interface LatentCsvArgs {
  count: number;
  latentDim: number;
  zMu: Float32Array;
  zLogVar: Float32Array;
  labels: Uint8Array;
  /** Label names by index; adds a `label_name` column when given. */
  labelNames?: readonly string[];
}

/** One row per test image: z_mu_0…, z_log_var_0…, label (and its name). */
export function latentCsv(args: LatentCsvArgs): string {
  const { count, latentDim: d } = args;
  const names = args.labelNames && args.labelNames.length > 0 ? args.labelNames : null;
  const header = [
    ...Array.from({ length: d }, (_, i) => `z_mu_${i}`),
    ...Array.from({ length: d }, (_, i) => `z_log_var_${i}`),
    'label',
    ...(names ? ['label_name'] : []),
  ];
  const out = [line(header)];
  for (let i = 0; i < count; i++) {
    const label = args.labels[i] ?? 0;
    out.push(
      line([
        ...Array.from(args.zMu.subarray(i * d, (i + 1) * d), float32),
        ...Array.from(args.zLogVar.subarray(i * d, (i + 1) * d), float32),
        label,
        ...(names ? [names[label] ?? String(label)] : []),
      ]),
    );
  }
  return out.join('\n') + '\n';
}
