import { onBeforeUnmount, onMounted, watch, type WatchSource } from 'vue';
import { nextFrame } from '../lib/frame';

/**
 * Runs `draw` at most once per animation frame after any source changes (and
 * once on mount), so bursts of updates — progress events, slider drags —
 * cost one redraw each frame, not one each.
 */
export function useFrameDraw(draw: () => void, sources: WatchSource[]) {
  let cancel: (() => void) | null = null;
  let mounted = false;

  function schedule(): void {
    if (cancel || !mounted) return;
    cancel = nextFrame(() => {
      cancel = null;
      draw();
    });
  }
  onMounted(() => {
    mounted = true;
    schedule();
  });
  watch(sources, schedule);
  onBeforeUnmount(() => {
    mounted = false;
    cancel?.();
    cancel = null;
  });
  return { schedule };
}
