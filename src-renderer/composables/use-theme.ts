import { computed, onBeforeUnmount, ref } from 'vue';
import type { ChartTheme } from '../charts/theme';
import { readFigureColors, type FigureColors } from '../figures/canvas';
import { useAppStore } from '../stores/app';

// One media-query listener for the whole app: every figure redraws from this version.
const systemDark = ref(false);
let listening = false;
function listen(): void {
  if (listening || typeof window === 'undefined' || !window.matchMedia) return;
  listening = true;
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  systemDark.value = query.matches;
  query.addEventListener?.('change', (e) => (systemDark.value = e.matches));
}

/** Whether the page is dark now, and the colours figures and charts draw with. */
export function useTheme() {
  listen();
  const app = useAppStore();
  const dark = computed(() => (app.theme === 'system' ? systemDark.value : app.theme === 'dark'));
  /** Re-read after each theme change (the CSS variables change with it). */
  const colors = computed<FigureColors>(() => {
    void dark.value;
    if (typeof document === 'undefined') {
      return { background: '#ffffff', text: '#1b1f24', muted: '#5b6470', grid: '#e3e6ea', accent: '#3b6fd8' };
    }
    return readFigureColors();
  });
  const chartTheme = computed<ChartTheme>(() => ({
    text: colors.value.text,
    muted: colors.value.muted,
    grid: colors.value.grid,
  }));
  return { dark, colors, chartTheme };
}

/** The width of an element, kept current by a ResizeObserver. */
export function useElementWidth(initial = 480) {
  const width = ref(initial);
  let observer: ResizeObserver | null = null;
  function observe(el: Element | null): void {
    observer?.disconnect();
    if (!el || typeof ResizeObserver === 'undefined') return;
    observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && Math.abs(w - width.value) >= 1) width.value = Math.floor(w);
    });
    observer.observe(el);
    const w = el.getBoundingClientRect().width;
    if (w > 0) width.value = Math.floor(w);
  }
  onBeforeUnmount(() => observer?.disconnect());
  return { width, observe };
}
