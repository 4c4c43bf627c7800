import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { DatasetImportArg, DatasetInfo, EventPayload, Unsubscribe } from '../../shared/contract';
import { uploadFiles, type UploadFile } from '../api/client';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

/** An upload import's settings: what `datasets:importUpload` takes besides the upload's id. */
export type UploadImport =
  | { kind: 'idx'; name: string; classNames?: string[] }
  | { kind: 'folder'; name: string; size: number; channels: 1 | 3; classNames?: string[] };

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

  /** Bytes sent by the upload under way (browser mode), or null. */
  const uploadProgress = ref<{ sent: number; total: number } | null>(null);

  /**
   * Uploads files from this computer to browser mode and imports them there, with the
   * same checks as a path import; resolves the new dataset, or null with `importError` set.
   */
  async function importUploaded(arg: UploadImport, files: UploadFile[]): Promise<DatasetInfo | null> {
    importError.value = null;
    importing.value = arg.kind === 'idx' ? { kind: 'idx', name: arg.name, paths: [] } : { ...arg, path: '' };
    importStartedAt.value = Date.now();
    uploadProgress.value = { sent: 0, total: files.reduce((s, f) => s + f.file.size, 0) };
    const uploaded = await uploadFiles(files, (sent, total) => (uploadProgress.value = { sent, total }));
    uploadProgress.value = null;
    if (!uploaded.ok) {
      importing.value = null;
      importStartedAt.value = null;
      importError.value = uploaded.message;
      return null;
    }
    const result = await callApi(app.api, 'datasets:importUpload', { ...arg, uploadId: uploaded.uploadId });
    importing.value = null;
    importStartedAt.value = null;
    importProgress.value = null;
    const value = valueOr(result, (m) => (importError.value = m));
    if (value) datasets.value = [...datasets.value.filter((d) => d.name !== value.name), value];
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
    importUploaded,
    uploadProgress,
    classNamesError,
    setClassNames,
    byName,
    nameForHash,
  };
});
