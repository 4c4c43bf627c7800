import type { Chart, ChartConfiguration, ChartType } from 'chart.js';
import { markRaw, onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue';
import { registerCharts } from '../charts/register';
import { inTask } from '../lib/frame';

/**
 * Owns one Chart.js chart: creates it in a task after mount, rebuilds its data and options
 * from `build` when a source changes — once for all the changes of a task, with no
 * animation — and destroys it on unmount.
 *
 * Creating or updating a chart lays it out and draws it on its canvas: 10–20 ms, several
 * times that on a machine busy training. Each is a task of its own, not a frame callback:
 * a frame's task also styles, lays out and paints the page, and the two together would
 * make one long task.
 */
export function useChart<T extends ChartType>(
  canvas: Ref<HTMLCanvasElement | null>,
  build: () => ChartConfiguration<T>,
  sources: WatchSource[],
) {
  let chart: Chart<T> | null = null;
  let cancelUpdate: (() => void) | null = null;
  let cancelCreate: (() => void) | null = null;

  function scheduleCreate(): void {
    cancelCreate ??= inTask(() => {
      cancelCreate = null;
      create();
    });
  }

  function create(): void {
    if (chart) return;
    const el = canvas.value;
    const ctx = el?.getContext('2d');
    // No 2-D context (tests in a DOM without canvas): the chart simply is not drawn.
    if (!el || !ctx) return;
    const ChartClass = registerCharts();
    const config = build();
    optionsKey = JSON.stringify(config.options ?? {});
    // Axes and legend first, the data a task later: two shorter tasks rather than one long one.
    const empty = { ...config, data: { ...config.data, datasets: [] } };
    chart = markRaw(new ChartClass(ctx, empty as ChartConfiguration)) as unknown as Chart<T>;
    schedule();
  }

  let optionsKey = '';

  function flush(): void {
    cancelUpdate = null;
    if (!chart) return;
    const next = build();
    chart.data = next.data;
    // New options make Chart.js resolve every scale and plugin again; while a run trains only
    // the data changes, so options are replaced only when they differ (compared as JSON: plain
    // data but for the legend's label function, which only depends on the data and the theme).
    const key = JSON.stringify(next.options ?? {});
    if (next.options && key !== optionsKey) chart.options = next.options;
    optionsKey = key;
    chart.update('none');
  }

  function schedule(): void {
    if (cancelUpdate || !chart) return;
    cancelUpdate = inTask(flush);
  }

  function destroy(): void {
    cancelCreate?.();
    cancelCreate = null;
    cancelUpdate?.();
    cancelUpdate = null;
    chart?.destroy();
    chart = null;
  }

  onMounted(scheduleCreate);
  // The canvas may appear later (behind a v-if) or be replaced: follow it.
  watch(canvas, (el) => {
    destroy();
    if (el) scheduleCreate();
  });
  watch(sources, schedule);
  onBeforeUnmount(destroy);

  return {
    /** The chart's canvas, for PNG export. */
    canvas,
    /** Redraws now (e.g. after a resize of the container). */
    refresh: schedule,
  };
}
