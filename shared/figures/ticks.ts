/** Axis ticks for the figures drawn on canvas. */

import { manifoldAxis } from '../manifold';

/** Rounds to `digits` decimals and turns −0 into 0 (so a tick never reads "-0"). */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(maxTicks - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return nice * mag;
}

/** Round-number ticks inside [min, max], at most about `maxTicks` of them. */
export function niceTicks(min: number, max: number, maxTicks = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [roundTo(min, 6)];
  const step = niceStep(max - min, maxTicks);
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(roundTo(v, digits));
  return ticks;
}

/** A tick label without float noise ("0.30000000000000004" → "0.3"). */
export function formatTick(value: number): string {
  return String(roundTo(value, 6));
}

export interface ManifoldTick {
  /** Index of the grid cell (column for x, row for y) the tick is centred on. */
  cell: number;
  value: number;
  label: string;
}

/**
 * Ticks of an n×n manifold over [−range, range]², as the notebook drew them:
 * one per cell at its centre, values rounded to 0.1; y runs from +range at the top.
 */
export function manifoldTicks(n: number, range: number): { x: ManifoldTick[]; y: ManifoldTick[] } {
  const values = manifoldAxis(n, range).map((v) => roundTo(v, 1));
  const x = values.map((value, cell) => ({ cell, value, label: value.toFixed(1) }));
  const y = [...values].reverse().map((value, cell) => ({ cell, value, label: value.toFixed(1) }));
  return { x, y };
}

/** Every how-many-th tick to label so labels `labelPx` wide do not overlap in cells `cellPx` wide. */
export function tickStride(cellPx: number, labelPx: number): number {
  if (cellPx <= 0) return 1;
  return Math.max(1, Math.ceil((labelPx + 4) / cellPx));
}
