import {
  boundsText,
  hyperparamFields,
  hyperparamFlags,
  hyperparamsSchema,
  type Hyperparams,
  type NumberField,
} from './hyperparams';
import { mulberry32 } from './random';
import type { LossTerms, RunStatus } from './run';

/**
 * A sweep: one base set of hyperparameters and the fields that vary over it.
 * Pure and shared: the new-run form counts runs and shows messages with the
 * same code that the core uses to expand a sweep before it queues anything.
 */

/** Fields a sweep can vary: the numeric hyperparameters, limits from {@link hyperparamFields}. */
export const sweepKeys = [
  'latentDim',
  'beta',
  'learningRate',
  'epochs',
  'batchSize',
  'klWarmupEpochs',
  'seed',
  'trainLimit',
  'testLimit',
] as const;
export type SweepKey = (typeof sweepKeys)[number];

/** Most runs one sweep may queue. */
export const maxSweepRuns = 500;

/** Fields spread on a log scale in ranges and random search (a learning rate spans decades). */
const logScaled: ReadonlySet<SweepKey> = new Set<SweepKey>(['learningRate']);

/** One varying field: a list of values, or a range `from`..`to` with `count` points. */
export type SweepAxis =
  { key: SweepKey; values: number[] } | { key: SweepKey; range: { from: number; to: number; count: number } };

export interface SweepSpec {
  base: Hyperparams;
  axes: SweepAxis[];
  /** Every combination (grid), or `samples` random draws. */
  mode: 'grid' | 'random';
  samples?: number;
  /** Seed of random search's draws. */
  seed?: number;
}

/** One run of an expanded sweep: its hyperparameters and the swept values alone. */
export interface SweepPoint {
  hyperparams: Hyperparams;
  values: Partial<Record<SweepKey, number>>;
}

/** A sweep that cannot be queued; the message names the field and what to do. */
export class SweepSpecError extends Error {}

export function isSweepKey(key: unknown): key is SweepKey {
  return typeof key === 'string' && (sweepKeys as readonly string[]).includes(key);
}

/** The label of a swept field ("β (KL weight)"), for charts and tables. */
export function sweepLabel(key: SweepKey): string {
  return hyperparamFields[key].label;
}

function fieldOf(key: SweepKey): NumberField {
  return hyperparamFields[key];
}

function inBounds(field: NumberField, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (field.kind === 'int' && !Number.isInteger(v)) return false;
  return (field.minExclusive ? v > field.min : v >= field.min) && v <= field.max;
}

/** "--beta: β (KL weight) must be a number from 0 to 100; 200 is not." */
function limitMessage(key: SweepKey, v: number | string): string {
  const field = fieldOf(key);
  return `--${hyperparamFlags[key]}: ${field.label} must be ${boundsText(field)}; ${v} is not.`;
}

function checkValue(key: SweepKey, v: number): number {
  if (!inBounds(fieldOf(key), v)) throw new SweepSpecError(limitMessage(key, v));
  return v;
}

function parseNumber(key: SweepKey, text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) {
    throw new SweepSpecError(
      `--${hyperparamFlags[key]}: "${text}" is not a number; give values like 1,2,4 or a range like 1:8:4.`,
    );
  }
  return n;
}

/**
 * Parses a field's text: `0.5,1,4` (a list), `1e-4:1e-2:3` (from:to:count),
 * or one value. Values are checked against the field's limits.
 */
export function parseAxis(key: SweepKey, text: string): SweepAxis {
  const flag = `--${hyperparamFlags[key]}`;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.split(',').every((p) => p.trim() === '')) {
    throw new SweepSpecError(`${flag}: the list of values is empty; give at least one value.`);
  }
  if (trimmed.includes(':')) {
    const parts = trimmed.split(':');
    if (parts.length !== 3) {
      throw new SweepSpecError(`${flag}: a range is from:to:count, such as 1:8:4; "${text}" is not.`);
    }
    const from = checkValue(key, parseNumber(key, parts[0]!));
    const to = checkValue(key, parseNumber(key, parts[1]!));
    const count = parseNumber(key, parts[2]!);
    if (!Number.isInteger(count) || count < 1 || count > maxSweepRuns) {
      throw new SweepSpecError(`${flag}: a range's count must be an integer from 1 to ${maxSweepRuns}.`);
    }
    return { key, range: { from, to, count } };
  }
  const values = trimmed.split(',').map((p) => {
    if (p.trim() === '') throw new SweepSpecError(`${flag}: "${text}" has an empty value between commas.`);
    return checkValue(key, parseNumber(key, p));
  });
  return { key, values };
}

/** Text of an axis, the inverse of {@link parseAxis}. */
export function axisText(axis: SweepAxis): string {
  return 'values' in axis ? axis.values.join(',') : `${axis.range.from}:${axis.range.to}:${axis.range.count}`;
}

function roundFor(key: SweepKey, v: number): number {
  if (fieldOf(key).kind === 'int') return Math.round(v);
  // Spread values print as 0.001, not 0.0010000000000000002.
  return Number(v.toPrecision(6));
}

/** The values of a range: evenly spaced, on a log scale for log-scaled fields; ints deduplicated. */
export function rangeValues(key: SweepKey, range: { from: number; to: number; count: number }): number[] {
  const { from, to, count } = range;
  if (count === 1) return [roundFor(key, from)];
  const log = logScaled.has(key) && from > 0 && to > 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    const v = log ? Math.exp(Math.log(from) + t * (Math.log(to) - Math.log(from))) : from + t * (to - from);
    const r = roundFor(key, v);
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** The values a grid takes for an axis. */
export function axisValues(axis: SweepAxis): number[] {
  return 'values' in axis ? [...new Set(axis.values)] : rangeValues(axis.key, axis.range);
}

/** How many runs a spec makes, without expanding it. */
export function sweepRunCount(spec: SweepSpec): number {
  if (spec.mode === 'random') return spec.samples ?? 0;
  return spec.axes.reduce((n, axis) => n * axisValues(axis).length, 1);
}

function draw(axis: SweepAxis, random: () => number): number {
  if ('values' in axis) return axis.values[Math.floor(random() * axis.values.length)]!;
  const { from, to } = axis.range;
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const field = fieldOf(axis.key);
  if (logScaled.has(axis.key) && lo > 0) {
    return roundFor(axis.key, Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))));
  }
  if (field.kind === 'int') return Math.min(hi, Math.floor(lo + random() * (hi - lo + 1)));
  return roundFor(axis.key, lo + random() * (hi - lo));
}

/**
 * Every run of a sweep, in queue order, checked before anything is queued:
 * no axis twice, at least one run and at most {@link maxSweepRuns}, and
 * hyperparameters the schema accepts.
 */
export function expandSweep(spec: SweepSpec): SweepPoint[] {
  const seen = new Set<SweepKey>();
  for (const axis of spec.axes) {
    if (seen.has(axis.key)) {
      throw new SweepSpecError(`--${hyperparamFlags[axis.key]} is given twice; give it once with a list.`);
    }
    seen.add(axis.key);
    for (const v of axisValues(axis)) checkValue(axis.key, v);
    if ('values' in axis && axis.values.length === 0) {
      throw new SweepSpecError(
        `--${hyperparamFlags[axis.key]}: the list of values is empty; give at least one value.`,
      );
    }
  }
  if (spec.mode === 'random') {
    const n = spec.samples ?? 0;
    if (!Number.isInteger(n) || n < 1)
      throw new SweepSpecError('--samples must be an integer of at least 1.');
  }
  const count = sweepRunCount(spec);
  if (count > maxSweepRuns) {
    throw new SweepSpecError(
      `This sweep would queue ${count} runs; the most is ${maxSweepRuns}. Use fewer values or random search (--samples).`,
    );
  }
  let combos: Partial<Record<SweepKey, number>>[];
  if (spec.mode === 'random') {
    const random = mulberry32(spec.seed ?? 1);
    combos = Array.from({ length: count }, () =>
      Object.fromEntries(spec.axes.map((axis) => [axis.key, draw(axis, random)])),
    );
  } else {
    combos = [{}];
    for (const axis of spec.axes) {
      combos = combos.flatMap((c) => axisValues(axis).map((v) => ({ ...c, [axis.key]: v })));
    }
  }
  return combos.map((values) => {
    const hp = { ...spec.base, ...values };
    const parsed = hyperparamsSchema.safeParse(hp);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue?.path[0];
      const flag =
        typeof key === 'string' && key in hyperparamFlags
          ? `--${hyperparamFlags[key as keyof Hyperparams]}: `
          : '';
      throw new SweepSpecError(`${flag}${issue?.message ?? 'invalid hyperparameters'}`);
    }
    return { hyperparams: parsed.data, values };
  });
}

/** Statuses of a sweep and of its jobs. */
export const sweepStatuses = ['queued', 'running', 'stopped', 'completed'] as const;
export type SweepStatus = (typeof sweepStatuses)[number];
export const sweepJobStatuses = [
  'queued',
  'running',
  'completed',
  'failed',
  'diverged',
  'stopped',
  'skipped',
] as const;
export type SweepJobStatus = (typeof sweepJobStatuses)[number];

/** One queued run of a sweep. */
export interface SweepJob {
  id: number;
  position: number;
  status: SweepJobStatus;
  values: Partial<Record<SweepKey, number>>;
  runId: string | null;
  message: string | null;
  /** The run's own state, once it exists. */
  run: {
    status: RunStatus;
    epochsDone: number;
    lastTest: LossTerms | null;
    startedAt: string | null;
    finishedAt: string | null;
  } | null;
}

export interface SweepSummary {
  id: string;
  name: string;
  status: SweepStatus;
  createdAt: string;
  keys: SweepKey[];
  base: Hyperparams;
  mode: 'grid' | 'random';
  total: number;
  /** Jobs that ended (completed, failed, diverged, stopped, skipped). */
  done: number;
  completed: number;
  failed: number;
  running: number;
}

export interface SweepDetail extends SweepSummary {
  jobs: SweepJob[];
}

/** Rough seconds per image per epoch of the seed MLP on wasm (DESIGN.md: ~3.3 s for 60,000). */
const secondsPerImageEpoch = 3.3 / 60_000;

/** A rough time estimate for the form: images × epochs at the measured wasm speed, scaled by model width. */
export function estimateSweepSeconds(points: readonly SweepPoint[], trainCount = 60_000): number {
  let total = 0;
  for (const { hyperparams: hp } of points) {
    const images =
      Math.min(hp.trainLimit ?? trainCount, trainCount) + Math.min(hp.testLimit ?? 10_000, 10_000) / 3;
    const width = hp.hidden.reduce((a, b) => a + b, 0) / 256;
    total += images * hp.epochs * secondsPerImageEpoch * Math.max(0.25, width) + 1;
  }
  return total;
}
