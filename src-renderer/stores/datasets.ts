import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { DatasetImportArg, DatasetInfo, EventPayload, Unsubscribe } from '../../shared/contract';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

/** Datasets the engine can train on, and importing new ones. */
export const useDatasetsStore = defineStore('datasets', () => {
  const app = useAppStore();
  /** As `datasets:list` returned them. */
  const datasets = ref<DatasetInfo[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** The import under way, if any (the contract has no progress events for it yet). */
  const importing = ref<DatasetImportArg | null>(null);
  const importStartedAt = ref<number | null>(null);
  const importError = ref<string | null>(null);
  /** Images decoded so far by the import under way, from `dataset:progress`; null before the first event. */
  const importProgress = ref<EventPayload<'dataset:progress'> | null>(null);

  /** Loads the list (again). */
  async function load(): Promise<void> {
    loading.value = true;
    const result = await callApi(app.api, 'datasets:list', {});
    loading.value = false;
    const value = valueOr(result, (m) => (error.value = m));
    if (value) {
      datasets.value = value;
      error.value = null;
      loaded.value = true;
    }
  }

  /** Loads the list unless it is already here. */
  async function ensure(): Promise<void> {
    if (!loaded.value && !loading.value) await load();
  }

  /** Imports IDX files or a folder; resolves the new dataset, or null with `importError` set. */
  async function importDataset(arg: DatasetImportArg): Promise<DatasetInfo | null> {
    importing.value = arg;
    importProgress.value = null;
    importStartedAt.value = Date.now();
    importError.value = null;
    const result = await callApi(app.api, 'datasets:import', arg);
    importing.value = null;
    importStartedAt.value = null;
    importProgress.value = null;
    const value = valueOr(result, (m) => (importError.value = m));
    if (value) datasets.value = [...datasets.value.filter((d) => d.name !== value.name), value];
    return value;
  }

  /** Renames a dataset's classes; resolves the updated dataset, or null with the message in `classNamesError`. */
  const classNamesError = ref<string | null>(null);
  async function setClassNames(name: string, classNames: string[]): Promise<DatasetInfo | null> {
    classNamesError.value = null;
    const result = await callApi(app.api, 'datasets:setClassNames', { name, classNames });
    const value = valueOr(result, (m) => (classNamesError.value = m));
    if (value) datasets.value = datasets.value.map((d) => (d.name === value.name ? value : d));
    return value;
  }

  /** The dataset of that name, if listed. */
  function byName(name: string): DatasetInfo | undefined {
    return datasets.value.find((d) => d.name === name);
  }

  /** The name of the dataset with that content hash (runs store the hash). */
  function nameForHash(hash: string): string | undefined {
    return datasets.value.find((d) => d.hash === hash)?.name;
  }

  let unsubscribe: Unsubscribe | null = null;
  watch(
    () => app.api,
    (api) => {
      unsubscribe?.();
      unsubscribe = api
        ? api.on('dataset:progress', (p) => {
            if (importing.value?.name === p.name) importProgress.value = p;
          })
        : null;
    },
    { immediate: true },
  );

  return {
    datasets,
    loaded,
    loading,
    error,
    importing,
    importStartedAt,
    importError,
    importProgress,
    load,
    ensure,
    importDataset,
    classNamesError,
    setClassNames,
    byName,
    nameForHash,
  };
});
