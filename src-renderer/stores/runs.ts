import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef, watch } from 'vue';
import type { RunSortKey, Unsubscribe } from '../../shared/contract';
import type { RunSummary } from '../../shared/run';
import { defaultRunsQuery, firstPageSize, pageSize, runsPage, type RunsQuery } from '../lib/runs-query';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

export { firstPageSize, pageSize, type RunsQuery };

// One collator for every comparison: String#localeCompare builds one per call. Made at the
// first sort by name, not at start-up: a collator loads ICU's data, which the list's first
// rows need not wait for.
let collator: Intl.Collator | null = null;

function compareRuns(a: RunSummary, b: RunSummary, key: RunSortKey): number {
  switch (key) {
    case 'name':
      return (collator ??= new Intl.Collator(undefined, { sensitivity: 'base' })).compare(a.name, b.name);
    case 'status':
      return a.status.localeCompare(b.status);
    case 'testLoss':
      return (a.lastTest?.loss ?? 0) - (b.lastTest?.loss ?? 0);
    case 'createdAt':
      // ISO timestamps: code-unit order is time order.
      return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
  }
}

/** The runs list: loading with filters and sort, rename, notes, delete, live status updates. */
export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore();
  /**
   * Runs as the last `runs:list` returned them, kept current by `run:status` events.
   * Shallow: ten thousand summaries made deeply reactive would cost more than the list's
   * whole render; every change replaces the array.
   */
  const runs = shallowRef<RunSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  /** False while later pages of the list are still arriving. */
  const complete = ref(false);
  /** Why the list could not load. */
  const error = ref<string | null>(null);
  /** Why the last rename, notes change or delete failed. */
  const actionError = ref<string | null>(null);
  const query = reactive<RunsQuery>(defaultRunsQuery());
  /** Runs ticked for comparison; kept by id, so rows scrolled out of view stay ticked. */
  const selected = ref<string[]>([]);
  const selectedSet = computed(() => new Set(selected.value));

  /**
   * The runs in the chosen order. The core sorts; this keeps the order after live
   * updates, and costs about one comparison per run on a list that is already in order.
   */
  const sorted = computed(() => {
    const key = query.sort;
    const sign = query.descending ? -1 : 1;
    return runs.value.slice().sort((a, b) => {
      if (key === 'testLoss') {
        // Runs without a test loss yet go last either way, as the core orders them.
        const missing = Number(a.lastTest === null) - Number(b.lastTest === null);
        if (missing !== 0) return missing;
      }
      return sign * compareRuns(a, b, key);
    });
  });

  // A newer load (another filter or sort) makes the pages of an older one stale.
  let generation = 0;

  /** Loads the list under the current filters: a small first page, then the rest in pages. */
  async function load(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    complete.value = false;
    const asked = { ...query };
    const result = await callApi(app.api, 'runs:list', runsPage(asked, firstPageSize));
    if (mine !== generation) return;
    const first = valueOr(result, (m) => (error.value = m));
    if (!first) {
      loading.value = false;
      return;
    }
    runs.value = first;
    error.value = null;
    loaded.value = true;
    let got = first.length;
    let more = first.length === firstPageSize;
    while (more) {
      const page = await callApi(app.api, 'runs:list', runsPage(asked, pageSize, got));
      if (mine !== generation) return;
      const value = valueOr(page, (m) => (error.value = m));
      if (!value) break;
      got += value.length;
      more = value.length === pageSize;
      // A run created meanwhile shifts the pages by one: skip what is already listed.
      const known = new Set(runs.value.map((r) => r.id));
      runs.value = runs.value.concat(value.filter((r) => !known.has(r.id)));
    }
    loading.value = false;
    complete.value = true;
    const ids = new Set(runs.value.map((r) => r.id));
    selected.value = selected.value.filter((id) => ids.has(id));
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
    if (index >= 0) runs.value = runs.value.with(index, run);
    else if (loaded.value && matches(run)) runs.value = [run, ...runs.value];
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
    complete,
    selectedSet,
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
