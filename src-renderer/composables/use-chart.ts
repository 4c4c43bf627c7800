import type { Chart, ChartConfiguration, ChartType } from 'chart.js';
import { markRaw, onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue';
import { registerCharts } from '../charts/register';
import { nextFrame } from '../lib/frame';

/**
 * Owns one Chart.js chart: creates it on mount, rebuilds its data and options
 * from `build` when a source changes — at most once per animation frame, with
 * no animation — and destroys it on unmount.
 */
export function useChart<T extends ChartType>(
  canvas: Ref<HTMLCanvasElement | null>,
  build: () => ChartConfiguration<T>,
  sources: WatchSource[],
) {
  let chart: Chart<T> | null = null;
  let cancelFrame: (() => void) | null = null;

  function create(): void {
    if (chart) return;
    const el = canvas.value;
    const ctx = el?.getContext('2d');
    // No 2-D context (tests in a DOM without canvas): the chart simply is not drawn.
    if (!el || !ctx) return;
    const ChartClass = registerCharts();
    chart = markRaw(new ChartClass(ctx, build() as ChartConfiguration)) as unknown as Chart<T>;
  }

  function flush(): void {
    cancelFrame = null;
    if (!chart) return;
    const next = build();
    chart.data = next.data;
    if (next.options) chart.options = next.options;
    chart.update('none');
  }

  function schedule(): void {
    if (cancelFrame || !chart) return;
    cancelFrame = nextFrame(flush);
  }

  function destroy(): void {
    cancelFrame?.();
    cancelFrame = null;
    chart?.destroy();
    chart = null;
  }

  onMounted(create);
  // The canvas may appear later (behind a v-if) or be replaced: follow it.
  watch(canvas, (el) => {
    destroy();
    if (el) create();
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
