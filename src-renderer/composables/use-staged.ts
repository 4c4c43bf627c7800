import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import { nextTask } from '../lib/frame';

/**
 * Counts from 0 up to `total`, one step per task, while `active()` holds (back
 * to 0 when it stops). Parts of a view shown with `v-if="stage > i"` then mount
 * one per task: mounting a figure sets up its watchers, renders its controls and
 * lays out the page, and a whole grid of them in one task would keep the page
 * from answering for a noticeable moment while a run trains.
 */
export function useStaged(active: () => boolean, total: number): Ref<number> {
  const stage = ref(0);
  let run = 0;
  watch(
    active,
    async (on) => {
      const mine = ++run;
      if (!on) {
        stage.value = 0;
        return;
      }
      while (stage.value < total) {
        await nextTask();
        if (mine !== run) return;
        stage.value++;
      }
    },
    { immediate: true },
  );
  onBeforeUnmount(() => run++);
  return stage;
}
