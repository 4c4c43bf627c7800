import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { Unsubscribe } from '../../shared/contract';
import type { SweepDetail, SweepSummary } from '../../shared/sweep';
import { useAppStore } from './app';
import { callApi, valueOr } from './call';

/** Sweeps: the list, the sweep on screen (kept current by events), and stop, resume, skip, move. */
export const useSweepsStore = defineStore('sweeps', () => {
  const app = useAppStore();
  const list = ref<SweepSummary[]>([]);
  const current = ref<SweepDetail | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  let refreshing: Promise<void> | null = null;
  let again = false;

  async function loadList(): Promise<void> {
    const value = valueOr(await callApi(app.api, 'sweeps:list', {}), (m) => (error.value = m));
    if (value) list.value = value;
  }

  async function open(sweepId: string): Promise<void> {
    error.value = null;
    if (current.value?.id !== sweepId) current.value = null;
    const value = valueOr(await callApi(app.api, 'sweeps:get', { sweepId }), (m) => (error.value = m));
    if (value) current.value = value;
  }

  /** Reloads the sweep on screen; calls that arrive while one is in flight are folded into one more. */
  function refresh(): void {
    const id = current.value?.id;
    if (!id) return;
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = open(id).finally(() => {
      refreshing = null;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  async function act(fn: () => ReturnType<typeof callApi<'sweeps:stop'>>): Promise<void> {
    busy.value = true;
    const value = valueOr(await fn(), (m) => (error.value = m));
    busy.value = false;
    if (value) current.value = value;
  }

  const stop = (sweepId: string) => act(() => callApi(app.api, 'sweeps:stop', { sweepId }));
  const resume = (sweepId: string) => act(() => callApi(app.api, 'sweeps:resume', { sweepId }));
  const skip = (sweepId: string, jobId: number) =>
    act(() => callApi(app.api, 'sweeps:skip', { sweepId, jobId }));
  const move = (sweepId: string, jobId: number, position: number) =>
    act(() => callApi(app.api, 'sweeps:move', { sweepId, jobId, position }));

  let unsubscribe: Unsubscribe[] = [];
  watch(
    () => app.api,
    (api) => {
      for (const u of unsubscribe) u();
      unsubscribe = api
        ? [
            api.on('sweep:status', ({ sweep }) => {
              const i = list.value.findIndex((s) => s.id === sweep.id);
              if (i >= 0) list.value.splice(i, 1, sweep);
              else list.value.unshift(sweep);
              if (current.value?.id === sweep.id) refresh();
            }),
            // A run's epochs and losses show in the sweep's table as it trains.
            api.on('run:status', ({ run }) => {
              if (current.value?.jobs.some((j) => j.runId === run.id)) refresh();
            }),
            api.on('run:epoch', ({ runId }) => {
              if (current.value?.jobs.some((j) => j.runId === runId)) refresh();
            }),
          ]
        : [];
    },
    { immediate: true },
  );

  return { list, current, error, busy, loadList, open, refresh, stop, resume, skip, move };
});
