import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import type { RunSortKey, Unsubscribe } from '../../shared/contract';
import type { RunStatus, RunSummary } from '../../shared/run';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

/** Filters and order of the runs list. */
export interface RunsQuery {
  text: string;
  /** Empty: every status. */
  status: RunStatus | '';
  /** Empty: every dataset. */
  dataset: string;
  sort: RunSortKey;
  descending: boolean;
}

function compareRuns(a: RunSummary, b: RunSummary, key: RunSortKey): number {
  switch (key) {
    case 'name':
      return a.name.localeCompare(b.name);
    case 'status':
      return a.status.localeCompare(b.status);
    case 'testLoss':
      // Runs without a test loss yet sort last either way.
      return (a.lastTest?.loss ?? Infinity) - (b.lastTest?.loss ?? Infinity);
    case 'createdAt':
      return a.createdAt.localeCompare(b.createdAt);
  }
}

/** The runs list: loading with filters and sort, rename, notes, delete, live status updates. */
export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  /** Runs as the last `runs:list` returned them, kept current by `run:status` events. */
  const runs = ref<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  /** Why the list could not load. */
  const error = ref<string | null>(null);
  /** Why the last rename, notes change or delete failed. */
  const actionError = ref<string | null>(null);
  const query = reactive<RunsQuery>({
    text: '',
    status: '',
    dataset: '',
    sort: 'createdAt',
    descending: true,
  });
  /** Runs ticked for comparison. */
  const selected = ref<string[]>([]);

  /** The runs in the chosen order (the core sorts too; this keeps order after live updates). */
  const sorted = computed(() => {
    const list = runs.value.slice().sort((a, b) => compareRuns(a, b, query.sort));
    return query.descending ? list.reverse() : list;
  });

  /** Loads the list under the current filters. */
  async function load(): Promise<void> {
    loading.value = true;
    const result = await callApi(app.api, 'runs:list', {
      sort: query.sort,
      descending: query.descending,
      ...(query.text.trim() ? { text: query.text.trim() } : {}),
      ...(query.status ? { status: [query.status] } : {}),
      ...(query.dataset ? { dataset: query.dataset } : {}),
    });
    loading.value = false;
    const value = valueOr(result, (m) => (error.value = m));
    if (value) {
      runs.value = value;
      error.value = null;
      loaded.value = true;
      selected.value = selected.value.filter((id) => value.some((r) => r.id === id));
    }
  }

  /** Sorts by a column; the same column again flips the direction. */
  function sortBy(key: RunSortKey): Promise<void> {
    if (query.sort === key) query.descending = !query.descending;
    else {
      query.sort = key;
      query.descending = key === 'createdAt';
    }
    return load();
  }

  function replace(run: RunSummary): void {
    const index = runs.value.findIndex((r) => r.id === run.id);
    if (index >= 0) runs.value.splice(index, 1, run);
    else if (loaded.value && matches(run)) runs.value.unshift(run);
  }

  function matches(run: RunSummary): boolean {
    if (query.status && run.status !== query.status) return false;
    if (query.dataset && run.hyperparams.dataset !== query.dataset) return false;
    const text = query.text.trim().toLowerCase();
    return !text || `${run.name} ${run.notes}`.toLowerCase().includes(text);
  }

  async function update(arg: { runId: string; name?: string; notes?: string }): Promise<boolean> {
    actionError.value = null;
    const result = await callApi(app.api, 'runs:update', arg);
    const value = valueOr(result, (m) => (actionError.value = m));
    if (value) replace(value);
    return value !== null;
  }

  /** Renames a run; an empty name is refused before asking the core. */
  function rename(runId: string, name: string): Promise<boolean> {
    const trimmed = name.trim();
    if (!trimmed) {
      actionError.value = 'A run needs a name.';
      return Promise.resolve(false);
    }
    return update({ runId, name: trimmed });
  }

  function setNotes(runId: string, notes: string): Promise<boolean> {
    return update({ runId, notes });
  }

  /** Deletes a run (the view asks for confirmation first). */
  async function remove(runId: string): Promise<boolean> {
    actionError.value = null;
    const result = await callApi(app.api, 'runs:delete', { runId });
    const value = valueOr(result, (m) => (actionError.value = m));
    if (value) {
      runs.value = runs.value.filter((r) => r.id !== runId);
      selected.value = selected.value.filter((id) => id !== runId);
    }
    return value !== null;
  }

  function toggleSelected(runId: string): void {
    selected.value = selected.value.includes(runId)
      ? selected.value.filter((id) => id !== runId)
      : [...selected.value, runId];
  }

  /** The id of the most recently created run, asking the core when the list is not loaded. */
  async function latestId(): Promise<string | null> {
    const result = await callApi(app.api, 'runs:list', { sort: 'createdAt', descending: true, limit: 1 });
    return result.ok ? (result.value[0]?.id ?? null) : null;
  }

  let unsubscribe: Unsubscribe[] = [];
  watch(
    () => app.api,
    (api) => {
      for (const u of unsubscribe) u();
      unsubscribe = api
        ? [
            api.on('run:status', ({ run }) => replace(run)),
            // Keep the epochs and the test loss column current while a run trains.
            api.on('run:epoch', ({ runId, metrics }) => {
              const run = runs.value.find((r) => r.id === runId);
              if (run)
                replace({
                  ...run,
                  epochsDone: Math.max(run.epochsDone, metrics.epoch),
                  lastTest: metrics.test,
                });
            }),
          ]
        : [];
    },
    { immediate: true },
  );

  return {
    runs,
    sorted,
    loaded,
    loading,
    error,
    actionError,
    query,
    selected,
    load,
    sortBy,
    rename,
    setNotes,
    remove,
    toggleSelected,
    latestId,
  };
});
