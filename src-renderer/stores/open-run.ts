import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, triggerRef, watch } from 'vue';
import type { Unsubscribe } from '../../shared/contract';
import { err, ok, type Result } from '../../shared/result';
import type { BatchProgress, EpochMetrics, RunSummary, Snapshot } from '../../shared/run';
import { batchRowsToPoints, progressToBatchPoint, type BatchPoint } from '../charts/loss-series';
import { estimateEta } from '../lib/eta';
import { activeStatuses, resumableStatuses } from '../lib/format';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';
import { useDatasetsStore } from './datasets';

/** Snapshots kept per open run (each is up to a few MB: codes of the whole test set, images). */
const snapshotCacheSize = 16;

/**
 * The run on screen, the one owner of what the core says about it: summary,
 * finished epochs, batch losses, live progress, the epochs with a snapshot and
 * the snapshots fetched so far; stop and resume. The figures (the explore
 * store) derive from it.
 */
export const useOpenRunStore = defineStore('openRun', () => {
  const app = useAppStore();
  const datasets = useDatasetsStore();
  /** The run on screen. */
  const runId = ref<string | null>(null);
  const run = ref<RunSummary | null>(null);
  /** Finished epochs, in order. Shallow: charts read it, nothing deep-watches it. */
  const epochs = shallowRef<EpochMetrics[]>([]);
  /** Training loss per (thinned) batch; appended in place and triggered, never copied. */
  const batches = shallowRef<BatchPoint[]>([]);
  /** Bumped whenever `batches` grows in place (props of the same array do not notice otherwise). */
  const batchVersion = ref(0);
  /** Epochs with a stored snapshot, ascending. */
  const snapshotEpochs = ref<number[]>([]);
  /** Bumped by every successful `load`, also of the run already open: the figures start over from it. */
  const generation = ref(0);
  /** Snapshots by epoch, as fetched; plain (not reactive): large, read through `snapshot()`. */
  const snapshots = new Map<number, Snapshot>();
  const checkpointEpoch = ref<number | null>(null);
  /** The latest progress event of this run. */
  const progress = shallowRef<BatchProgress | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Why stop or resume failed. */
  const actionError = ref<string | null>(null);
  const busy = ref(false);

  const status = computed(() => run.value?.status ?? null);
  const isActive = computed(() => status.value !== null && activeStatuses.includes(status.value));
  const canResume = computed(() => status.value !== null && resumableStatuses.includes(status.value));
  const totalEpochs = computed(() => run.value?.hyperparams.epochs ?? 0);

  /** Steps per epoch: from progress, else from the dataset's size and the batch size. */
  const stepsPerEpoch = computed<number | null>(() => {
    if (progress.value) return progress.value.stepsPerEpoch;
    const h = run.value?.hyperparams;
    const info = h ? datasets.byName(h.dataset) : undefined;
    if (!h || !info) return null;
    const images = Math.min(info.trainCount, h.trainLimit ?? Infinity);
    return Math.max(1, Math.ceil(images / h.batchSize));
  });

  /** Fraction of the whole run done, 0–1. */
  const fraction = computed(() => {
    const total = totalEpochs.value;
    if (total <= 0) return 0;
    const p = progress.value;
    if (p && isActive.value && p.epoch > epochs.value.length) {
      return Math.min(1, (p.epoch - 1 + p.step / Math.max(p.stepsPerEpoch, 1)) / total);
    }
    return Math.min(1, (run.value?.epochsDone ?? epochs.value.length) / total);
  });

  /** Seconds left, while the run trains. */
  const eta = computed(() => {
    const p = progress.value;
    const h = run.value?.hyperparams;
    if (!p || !h || status.value !== 'running') return null;
    return estimateEta({
      epoch: p.epoch,
      step: p.step,
      stepsPerEpoch: p.stepsPerEpoch,
      totalEpochs: h.epochs,
      batchSize: h.batchSize,
      samplesPerSecond: p.samplesPerSecond,
      epochSeconds: epochs.value.map((e) => e.seconds),
    });
  });

  /** Loads a run's summary and history; events for it update the store from then on. */
  async function load(id: string): Promise<boolean> {
    if (runId.value !== id) {
      run.value = null;
      epochs.value = [];
      batches.value = [];
      progress.value = null;
      snapshotEpochs.value = [];
      checkpointEpoch.value = null;
      snapshots.clear();
    }
    runId.value = id;
    loading.value = true;
    error.value = null;
    actionError.value = null;
    void datasets.ensure();
    const result = await callApi(app.api, 'runs:get', { runId: id });
    if (runId.value !== id) return false;
    loading.value = false;
    const detail = valueOr(result, (m) => (error.value = m));
    if (!detail) return false;
    const {
      epochs: history,
      batches: rows,
      snapshotEpochs: snaps,
      checkpointEpoch: checkpoint,
      ...summary
    } = detail;
    run.value = summary;
    // Events may have arrived while loading: keep any epoch the history does not have yet.
    const known = new Set(history.map((e) => e.epoch));
    epochs.value = [...history, ...epochs.value.filter((e) => !known.has(e.epoch))].sort(
      (a, b) => a.epoch - b.epoch,
    );
    const lastStep = rows.length > 0 ? (rows[rows.length - 1] as [number, number, number, number])[0] : 0;
    batches.value = [...batchRowsToPoints(rows), ...batches.value.filter((b) => b.step > lastStep)];
    batchVersion.value++;
    snapshotEpochs.value = [...new Set([...snaps, ...snapshotEpochs.value])].sort((a, b) => a - b);
    checkpointEpoch.value = checkpoint;
    generation.value++;
    return true;
  }

  /** The snapshot of the open run at `epoch` when it was fetched before. */
  function peekSnapshot(epoch: number): Snapshot | undefined {
    return snapshots.get(epoch);
  }

  /** The snapshot of the open run at `epoch`, fetched once and kept for the next time. */
  async function snapshot(epoch: number): Promise<Result<Snapshot>> {
    const id = runId.value;
    if (id === null) return err('not_found', 'No run is open.');
    const cached = snapshots.get(epoch);
    if (cached) return ok(cached);
    const result = await callApi(app.api, 'runs:snapshot', { runId: id, epoch });
    // Kept only while its run is still the one open.
    if (result.ok && runId.value === id) {
      snapshots.set(epoch, markRaw(result.value));
      if (snapshots.size > snapshotCacheSize) snapshots.delete(snapshots.keys().next().value as number);
    }
    return result;
  }

  /** Forgets the run on screen (events for it are then ignored). */
  function close(): void {
    runId.value = null;
  }

  async function act(kind: 'runs:stop' | 'runs:resume'): Promise<boolean> {
    if (!runId.value) return false;
    busy.value = true;
    actionError.value = null;
    const result = await callApi(app.api, kind, { runId: runId.value });
    busy.value = false;
    const value = valueOr(result, (m) => (actionError.value = m));
    if (value && value.id === runId.value) run.value = value;
    return value !== null;
  }

  /** Asks the run to stop (takes effect within one batch). */
  function stop(): Promise<boolean> {
    return act('runs:stop');
  }

  /** Continues the run from its last checkpoint. */
  function resume(): Promise<boolean> {
    return act('runs:resume');
  }

  function onProgress(p: BatchProgress): void {
    if (p.runId !== runId.value) return;
    batches.value.push(progressToBatchPoint(progress.value, p));
    triggerRef(batches);
    batchVersion.value++;
    progress.value = p;
    if (run.value && run.value.status === 'queued') run.value = { ...run.value, status: 'running' };
  }

  function onEpoch({ runId: id, metrics }: { runId: string; metrics: EpochMetrics }): void {
    if (id !== runId.value) return;
    epochs.value = [...epochs.value.filter((e) => e.epoch !== metrics.epoch), metrics].sort(
      (a, b) => a.epoch - b.epoch,
    );
    if (!snapshotEpochs.value.includes(metrics.epoch))
      snapshotEpochs.value = [...snapshotEpochs.value, metrics.epoch].sort((a, b) => a - b);
    if (run.value) {
      run.value = {
        ...run.value,
        epochsDone: Math.max(run.value.epochsDone, metrics.epoch),
        lastTest: metrics.test,
      };
    }
  }

  function onStatus({ run: summary }: { run: RunSummary }): void {
    if (summary.id === runId.value) run.value = summary;
  }

  let unsubscribe: Unsubscribe[] = [];
  watch(
    () => app.api,
    (api) => {
      for (const u of unsubscribe) u();
      unsubscribe = api
        ? [api.on('run:progress', onProgress), api.on('run:epoch', onEpoch), api.on('run:status', onStatus)]
        : [];
    },
    { immediate: true },
  );

  return {
    runId,
    run,
    epochs,
    batches,
    batchVersion,
    snapshotEpochs,
    generation,
    checkpointEpoch,
    progress,
    loading,
    error,
    actionError,
    busy,
    status,
    isActive,
    canResume,
    totalEpochs,
    stepsPerEpoch,
    fraction,
    eta,
    load,
    snapshot,
    peekSnapshot,
    close,
    stop,
    resume,
  };
});
