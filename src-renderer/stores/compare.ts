import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { RunComparison } from '../../shared/contract';
import type { Snapshot } from '../../shared/run';
import { describeError } from '../api/errors';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

/** A run's figures at the compared epoch, or why there are none. */
export type CompareFigure = { runId: string; snapshot: Snapshot } | { runId: string; error: string };

/** Comparing runs: overlaid curves, the hyperparameter table, figures side by side at one epoch. */
export const useCompareStore = defineStore('compare', () => {
  const app = useAppStore();
  /** Runs picked, in the order picked. */
  const runIds = ref<string[]>([]);
  const comparison = shallowRef<RunComparison | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Show only the hyperparameters that differ. */
  const onlyDiffering = ref(false);
  /** The epoch whose figures are side by side. */
  const epoch = ref(1);
  const figures = shallowRef<CompareFigure[]>([]);
  const figuresLoading = ref(false);

  const rows = computed(() => {
    const table = comparison.value?.table ?? [];
    return onlyDiffering.value ? table.filter((r) => r.differs) : table;
  });
  const maxEpoch = computed(() => Math.max(1, ...(comparison.value?.epochs ?? [1])));

  /** Compares these runs; an empty pick clears the comparison. */
  async function load(ids: string[]): Promise<void> {
    runIds.value = ids.slice();
    if (ids.length === 0) {
      comparison.value = null;
      figures.value = [];
      error.value = null;
      return;
    }
    loading.value = true;
    const result = await callApi(app.api, 'runs:compare', { runIds: ids });
    loading.value = false;
    const value = valueOr(result, (m) => (error.value = m));
    if (!value) return;
    error.value = null;
    comparison.value = markRaw(value);
    // The newest epoch every run has reached, so all figures are comparable.
    const reached = value.runs.map((r) => r.epochsDone).filter((n) => n > 0);
    epoch.value = reached.length ? Math.min(...reached) : 1;
    await loadFigures();
  }

  let seq = 0;
  /** Fetches each run's snapshot at `epoch`. */
  async function loadFigures(): Promise<void> {
    const current = ++seq;
    const at = epoch.value;
    figuresLoading.value = true;
    const results = await Promise.all(
      runIds.value.map(async (runId): Promise<CompareFigure> => {
        const result = await callApi(app.api, 'runs:snapshot', { runId, epoch: at });
        return result.ok
          ? { runId, snapshot: markRaw(result.value) }
          : { runId, error: describeError(result.error) };
      }),
    );
    if (current !== seq) return;
    figuresLoading.value = false;
    figures.value = results;
  }

  function setEpoch(value: number): Promise<void> {
    epoch.value = Math.min(Math.max(1, Math.round(value)), maxEpoch.value);
    return loadFigures();
  }

  return {
    runIds,
    comparison,
    loading,
    error,
    onlyDiffering,
    epoch,
    figures,
    figuresLoading,
    rows,
    maxEpoch,
    load,
    loadFigures,
    setEpoch,
  };
});
