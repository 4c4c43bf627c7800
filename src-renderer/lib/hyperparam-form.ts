import {
  boundsMessage,
  hiddenLayerLimits,
  hiddenMessage,
  hyperparamFields,
  hyperparamsSchema,
  type Hyperparams,
  type NumberField,
} from '../../shared/hyperparams';

/** The numeric fields of the schema, in display order. */
export type NumberKey = keyof typeof hyperparamFields;
export const numberKeys = Object.keys(hyperparamFields) as NumberKey[];

/** The form's text values: what the user typed, before parsing. */
export type HyperparamForm = Record<NumberKey, string> & {
  dataset: string;
  arch: Hyperparams['arch'];
  hidden: string;
};

/** Fills the form from hyperparameters (a preset or a run being repeated). */
export function formFromHyperparams(h: Hyperparams): HyperparamForm {
  const form = { dataset: h.dataset, arch: h.arch, hidden: h.hidden.join(', ') } as HyperparamForm;
  for (const key of numberKeys) {
    const value = h[key];
    form[key] = value === null ? '' : String(value);
  }
  return form;
}

/** Parses one numeric field's text against its documented bounds; the error names the field and its bounds. */
export function parseNumberField(
  field: NumberField,
  text: string,
): { value: number | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return field.nullable ? { value: null } : { error: boundsMessage(field) };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { error: boundsMessage(field) };
  if (field.kind === 'int' && !Number.isInteger(value)) return { error: boundsMessage(field) };
  const low = field.minExclusive ? value > field.min : value >= field.min;
  if (!low || value > field.max) return { error: boundsMessage(field) };
  return { value };
}

/** "256" or "512, 256" → [512, 256]. */
export function parseHidden(text: string): number[] | null {
  const parts = text
    .split(/[\s,;-]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length < hiddenLayerLimits.minLayers || parts.length > hiddenLayerLimits.maxLayers) return null;
  const units = parts.map(Number);
  const ok = units.every(
    (u) => Number.isInteger(u) && u >= hiddenLayerLimits.minUnits && u <= hiddenLayerLimits.maxUnits,
  );
  return ok ? units : null;
}

/** Field key → message, for every invalid field; empty when the form is valid. */
export type FormErrors = Partial<Record<NumberKey | 'dataset' | 'arch' | 'hidden', string>>;

/** Validates the whole form; on success returns the hyperparameters the schema accepts. */
export function validateForm(
  form: HyperparamForm,
): { hyperparams: Hyperparams; errors: FormErrors } | { hyperparams: null; errors: FormErrors } {
  const errors: FormErrors = {};
  const values: Partial<Record<NumberKey, number | null>> = {};
  for (const key of numberKeys) {
    const parsed = parseNumberField(hyperparamFields[key], form[key]);
    if ('error' in parsed) errors[key] = parsed.error;
    else values[key] = parsed.value;
  }
  const hidden = parseHidden(form.hidden);
  if (!hidden) errors.hidden = hiddenMessage;
  if (form.dataset.trim() === '') errors.dataset = 'Choose a dataset, such as "mnist".';
  if (Object.keys(errors).length > 0) return { hyperparams: null, errors };
  const candidate = { dataset: form.dataset, arch: form.arch, hidden, ...values };
  const checked = hyperparamsSchema.safeParse(candidate);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const key = String(issue.path[0] ?? 'dataset') as keyof FormErrors;
      errors[key] ??= issue.message;
    }
    return { hyperparams: null, errors };
  }
  return { hyperparams: checked.data, errors };
}

/** The keys whose value differs from a preset's (to show "modified"). */
export function changedKeys(form: HyperparamForm, base: Hyperparams): string[] {
  const reference = formFromHyperparams(base);
  return (Object.keys(reference) as (keyof HyperparamForm)[]).filter(
    (k) => String(form[k]).trim() !== String(reference[k]),
  );
}
