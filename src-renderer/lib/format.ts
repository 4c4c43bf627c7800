import type { RunStatus } from '../../shared/run';

/** A loss value: one decimal above 10, four significant digits below. */
export function formatLoss(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.abs(value) >= 10 ? value.toFixed(1) : value.toPrecision(4);
}

/**
 * "1,234". Not `toLocaleString`: the page's first use of a locale loads ICU's data, which
 * cost the runs list 20–30 ms before its first row.
 */
export function formatCount(value: number): string {
  const whole = Math.round(value);
  if (!Number.isFinite(whole)) return String(whole);
  const digits = String(Math.abs(whole));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return whole < 0 ? `-${grouped}` : grouped;
}

/** A local date and time without seconds. */
export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Words for a status. */
export const statusLabels: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
  diverged: 'Diverged',
  interrupted: 'Interrupted',
};

/** Which runs can be resumed or are still in the worker's hands: shared with main, which enforces them. */
export { activeStatuses, resumableStatuses } from '../../shared/run-status';

/** "1e-3" style for learning rates, plain otherwise. */
export function formatHyperparam(value: unknown): string {
  if (value === null || value === undefined) return 'all';
  if (Array.isArray(value)) return value.join('-');
  if (typeof value === 'number') {
    if (value !== 0 && Math.abs(value) < 0.01)
      return value
        .toExponential()
        .replace('e-', 'e-')
        .replace(/\.?0+e/, 'e');
    return String(value);
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
