import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import type { BackendInfo } from '../../shared/contract';
import { presets, type BackendChoice, type PresetId } from '../../shared/hyperparams';
import type { RunSummary } from '../../shared/run';
import type { SweepDetail } from '../../shared/sweep';
import { planSweep, type SweepFormErrors } from '../lib/sweep-form';
import { changedKeys, formFromHyperparams, validateForm, type HyperparamForm } from '../lib/hyperparam-form';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';
import { callApi, valueOr } from './call';

const defaultPreset = presets[0] as (typeof presets)[number];

/** The new-run form: preset, field values, validation, backend choice, and starting the run. */
export const useNewRunStore = defineStore('new-run', () => {
  const app = useAppStore();
  /** The preset the form started from. */
  const presetId = ref<PresetId>(defaultPreset.id as PresetId);
  /** What the user typed, field by field. */
  const form = reactive<HyperparamForm>(formFromHyperparams(defaultPreset.hyperparams));
  /** Optional run name; the core makes one up when empty. */
  const name = ref('');
  const backend = ref<BackendChoice>('auto');
  const starting = ref(false);
  const startError = ref<string | null>(null);

  /** One run, or a sweep: numeric fields then take lists (0.5, 1, 4) and ranges (from:to:count). */
  const mode = ref<'run' | 'sweep'>('run');
  /** Random search: how many draws; empty for the full grid. */
  const samples = ref('');
  const datasets = useDatasetsStore();
  /** Inline validation of every field, recomputed as the user types. */
  const validation = computed(() => validateForm(form));
  const sweepPlan = computed(() => planSweep(form, samples.value, datasets.byName(form.dataset)?.trainCount));
  const errors = computed<SweepFormErrors>(() =>
    mode.value === 'sweep' ? sweepPlan.value.errors : validation.value.errors,
  );
  const valid = computed(() =>
    mode.value === 'sweep' ? sweepPlan.value.spec !== null : validation.value.hyperparams !== null,
  );
  const preset = computed(() => presets.find((p) => p.id === presetId.value) ?? defaultPreset);
  /** Fields changed from the preset. */
  const modified = computed(() => changedKeys(form, preset.value.hyperparams));

  /** The backend training will use, from `app:info`: the chosen one, or the best available for `auto`. */
  const effectiveBackend = computed<BackendInfo | null>(() => {
    const backends = app.info?.backends ?? [];
    // auto never trains on a software GPU adapter (worker's backend.ts).
    if (backend.value === 'auto') return backends.find((b) => b.available && b.software !== true) ?? null;
    return backends.find((b) => b.name === backend.value) ?? null;
  });

  /** Resets the form to a preset (keeping the chosen dataset). */
  function applyPreset(id: PresetId): void {
    const next = presets.find((p) => p.id === id);
    if (!next) return;
    const dataset = form.dataset;
    presetId.value = id;
    Object.assign(form, formFromHyperparams(next.hyperparams));
    if (dataset) form.dataset = dataset;
  }

  /** Queues the run; resolves its summary, or null with `startError` set. */
  async function start(): Promise<RunSummary | null> {
    const hyperparams = validation.value.hyperparams;
    if (!hyperparams) {
      startError.value = 'Some values are not valid: see the messages under the fields.';
      return null;
    }
    starting.value = true;
    startError.value = null;
    const trimmed = name.value.trim();
    const result = await callApi(app.api, 'runs:start', {
      hyperparams,
      backend: backend.value,
      ...(trimmed ? { name: trimmed } : {}),
    });
    starting.value = false;
    return valueOr(result, (m) => (startError.value = m));
  }

  /** Queues the sweep; resolves it, or null with `startError` set. */
  async function startSweep(): Promise<SweepDetail | null> {
    const spec = sweepPlan.value.spec;
    if (!spec) {
      startError.value = 'Some values are not valid: see the messages under the fields.';
      return null;
    }
    starting.value = true;
    startError.value = null;
    const trimmed = name.value.trim();
    const result = await callApi(app.api, 'sweeps:start', {
      spec,
      backend: backend.value,
      ...(trimmed ? { name: trimmed } : {}),
    });
    starting.value = false;
    return valueOr(result, (m) => (startError.value = m));
  }

  return {
    mode,
    samples,
    sweepPlan,
    startSweep,
    presetId,
    form,
    name,
    backend,
    starting,
    startError,
    errors,
    valid,
    preset,
    modified,
    effectiveBackend,
    applyPreset,
    start,
  };
});
