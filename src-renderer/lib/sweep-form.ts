import { hyperparamFlags } from '../../shared/hyperparams';
import {
  estimateSweepSeconds,
  expandSweep,
  parseAxis,
  SweepSpecError,
  sweepKeys,
  type SweepAxis,
  type SweepSpec,
} from '../../shared/sweep';
import { validateForm, type FormErrors, type HyperparamForm } from './hyperparam-form';

export type SweepFormErrors = FormErrors & { sweep?: string; samples?: string };

export type SweepPlan =
  | { spec: SweepSpec; count: number; seconds: number; errors: SweepFormErrors }
  | { spec: null; count: null; seconds: null; errors: SweepFormErrors };

/** "--beta: β … is not." → "β … is not.": under a field, its name is already on screen. */
function withoutFlag(message: string): string {
  return message.replace(/^--[a-z-]+: /, '');
}

/**
 * The sweep the form describes: a numeric field holding a list (`0.5, 1, 4`)
 * or a range (`from:to:count`) varies, every other field is fixed. Checked
 * by the same code as the core's, so the count and messages match what
 * `sweeps:start` would answer.
 */
export function planSweep(form: HyperparamForm, samplesText: string, trainCount?: number): SweepPlan {
  const errors: SweepFormErrors = {};
  const axes: SweepAxis[] = [];
  const fixed: HyperparamForm = { ...form };
  for (const key of sweepKeys) {
    const text = form[key];
    if (!text.includes(',') && !text.includes(':')) continue;
    try {
      const axis = parseAxis(key, text);
      axes.push(axis);
      fixed[key] = String('values' in axis ? axis.values[0] : axis.range.from);
    } catch (error) {
      if (!(error instanceof SweepSpecError)) throw error;
      errors[key] = withoutFlag(error.message);
    }
  }
  const checked = validateForm(fixed);
  for (const [key, message] of Object.entries(checked.errors)) {
    errors[key as keyof FormErrors] ??= message;
  }
  let samples: number | undefined;
  if (samplesText.trim() !== '') {
    samples = Number(samplesText);
    if (!Number.isInteger(samples) || samples < 1)
      errors.samples = 'Random draws must be an integer of at least 1.';
  }
  if (Object.keys(errors).length > 0 || !checked.hyperparams)
    return { spec: null, count: null, seconds: null, errors };
  const spec: SweepSpec = {
    base: checked.hyperparams,
    axes,
    mode: samples === undefined ? 'grid' : 'random',
    ...(samples !== undefined ? { samples } : {}),
  };
  try {
    const points = expandSweep(spec);
    return { spec, count: points.length, seconds: estimateSweepSeconds(points, trainCount), errors };
  } catch (error) {
    if (!(error instanceof SweepSpecError)) throw error;
    const flag = Object.entries(hyperparamFlags).find(([, f]) => error.message.startsWith(`--${f}`));
    if (flag) errors[flag[0] as keyof FormErrors] = withoutFlag(error.message);
    else errors.sweep = error.message.replace('(--samples)', '(random draws)');
    return { spec: null, count: null, seconds: null, errors };
  }
}
