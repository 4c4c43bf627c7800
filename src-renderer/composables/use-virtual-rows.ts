import { computed, onBeforeUnmount, ref, watch, type Ref } from 'vue';

/** Which rows of a long list to render: the ones in view plus a margin, and the space around them. */
export interface RowWindow {
  /** First rendered row. */
  start: number;
  /** One past the last rendered row. */
  end: number;
  /** Height of the rows above `start`, in px, kept as empty space. */
  padTop: number;
  /** Height of the rows from `end` on. */
  padBottom: number;
  /**
   * The most rows a window of this viewport holds: `index % slots` names a rendered row's
   * place, unique among the rendered rows and the same for a row while it stays rendered.
   */
  slots: number;
}

/**
 * The rows to render of `count` rows of `rowHeight` px when `scrollTop` px are
 * scrolled past in a viewport `viewport` px tall; `overscan` more on each side so a
 * fast scroll shows no blank before the next frame. Pure, for tests.
 */
export function rowWindow(args: {
  count: number;
  rowHeight: number;
  scrollTop: number;
  viewport: number;
  overscan: number;
}): RowWindow {
  const { count, rowHeight, scrollTop, viewport, overscan } = args;
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const inView = Math.ceil(viewport / rowHeight) + 1;
  const end = Math.min(count, first + inView + overscan);
  return {
    start,
    end,
    padTop: start * rowHeight,
    padBottom: (count - end) * rowHeight,
    slots: inView + 2 * overscan,
  };
}

/**
 * Windowing for a scrolling container of fixed-height rows: renders only what is in
 * view, so ten thousand runs cost what forty do. Until the container has been laid out
 * `estimate()` (or the window's height) stands in for its height; its real height comes
 * from a ResizeObserver, which reads it after the browser's own layout: reading it as the
 * rows mount would force a layout of its own, and a second render when the guess was off.
 * `headerHeight` px of the container's top are a sticky header above the first row, which
 * rows scroll under.
 */
export function useVirtualRows(args: {
  container: Ref<HTMLElement | null>;
  count: Ref<number>;
  rowHeight: number;
  overscan?: number;
  headerHeight?: number;
  /** The container's height (px, inside its borders) before it is measured. */
  estimate?: () => number;
}) {
  const header = args.headerHeight ?? 0;
  const scrollTop = ref(0);
  const viewport = ref(0);
  const overscan = args.overscan ?? 8;
  let observer: ResizeObserver | null = null;

  function measure(): void {
    viewport.value = args.container.value?.clientHeight ?? 0;
  }
  function onScroll(): void {
    scrollTop.value = args.container.value?.scrollTop ?? 0;
  }

  watch(
    args.container,
    (el, old) => {
      old?.removeEventListener('scroll', onScroll);
      observer?.disconnect();
      observer = null;
      // A new container starts at the top.
      scrollTop.value = 0;
      if (!el) return;
      el.addEventListener('scroll', onScroll, { passive: true });
      if (typeof ResizeObserver !== 'undefined') {
        observer = new ResizeObserver(measure);
        observer.observe(el);
      } else measure();
    },
    { immediate: true, flush: 'post' },
  );
  onBeforeUnmount(() => {
    args.container.value?.removeEventListener('scroll', onScroll);
    observer?.disconnect();
  });

  const window = computed(() =>
    rowWindow({
      count: args.count.value,
      rowHeight: args.rowHeight,
      scrollTop: scrollTop.value,
      viewport: Math.max(0, (viewport.value || args.estimate?.() || globalThis.innerHeight || 800) - header),
      overscan,
    }),
  );

  /** Scrolls so that row `index` is in view (keyboard and "go to" use). */
  function scrollToRow(index: number): void {
    const el = args.container.value;
    if (!el) return;
    const top = index * args.rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (header + top + args.rowHeight > el.scrollTop + el.clientHeight) {
      el.scrollTop = header + top + args.rowHeight - el.clientHeight;
    }
    onScroll();
  }

  return { window, scrollToRow };
}
