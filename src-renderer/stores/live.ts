import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef, watch } from 'vue';
import type { Unsubscribe } from '../../shared/contract';
import type { BatchProgress, EpochMetrics, RunSummary } from '../../shared/run';
import { batchRowsToPoints, progressToBatchPoint, type BatchPoint } from '../charts/loss-series';
import { estimateEta } from '../lib/eta';
import { activeStatuses, resumableStatuses } from '../lib/format';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';
import { useDatasetsStore } from './datasets';

/** One run as it trains: summary, metrics so far, progress, stop and resume. */
export const useLiveStore = defineStore('live', () => {
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
  const snapshotEpochs = ref<number[]>([]);
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
    snapshotEpochs.value = snaps.slice();
    checkpointEpoch.value = checkpoint;
    return true;
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
      snapshotEpochs.value = [...snapshotEpochs.value, metrics.epoch];
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
    close,
    stop,
    resume,
  };
});
