/**
 * The state of the figures as data attributes on their elements: what the
 * end-to-end tests (test/e2e/browser/) and the UI benchmark (bench/ui-bench.mjs)
 * wait on and read, since a canvas shows them nothing else. Kept in this one
 * module, so the components bind one object each and the list of what outside
 * code depends on is here: renaming an attribute means changing those readers too.
 */

/** Rounds a duration in ms to 0.1 ms. */
function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * Times one paint of a figure: `workerMs` (its job in the figure worker) plus
 * the page's own painting, not the time either waited for its thread.
 * Resolves the draw time in ms, for `data-draw-ms`.
 */
export function timedPaint(workerMs: number, paint: () => void): number {
  const started = globalThis.performance.now();
  paint();
  return tenths(workerMs + globalThis.performance.now() - started);
}

type Attrs = Record<`data-${string}`, string | number | boolean>;

/** The latent scatter's canvas, as drawn (it trails the store while a draw is under way). */
export function scatterProbe(drawn: {
  /** Test points drawn. */
  points: number;
  /** Epoch of the snapshot drawn, or null before the first draw. */
  epoch: number | null;
  /** Classes left out, comma-separated. */
  hidden: string;
  drawMs: number | null;
}): Attrs {
  return {
    'data-points': drawn.points,
    'data-epoch': drawn.epoch ?? '',
    'data-hidden': drawn.hidden,
    'data-draw-ms': drawn.drawMs ?? '',
  };
}

/** The scatter's hover preview: `ready` once the decoded image (and the original) are in. */
export function hoverProbe(hover: {
  state: 'idle' | 'loading' | 'ready';
  kind: 'point' | 'space' | null;
}): Attrs {
  return { 'data-state': hover.state, 'data-kind': hover.kind ?? '' };
}

/** The manifold's canvas: the grid drawn, and `loading` until the one asked for is on it. */
export function manifoldProbe(drawn: {
  n: number | null;
  range: number | null;
  loading: boolean;
  drawMs: number | null;
}): Attrs {
  return {
    'data-n': drawn.n ?? '',
    'data-range': drawn.range ?? '',
    'data-loading': drawn.loading,
    'data-draw-ms': drawn.drawMs ?? '',
  };
}

/** The gallery's canvas: its page (`fixed`: the snapshot's own), first index shown, originals missing. */
export function galleryProbe(gallery: {
  offset: number | null;
  first: number | null;
  missing: number | null;
}): Attrs {
  return {
    'data-offset': gallery.offset ?? 'fixed',
    'data-shown': gallery.first ?? '',
    'data-missing': gallery.missing ?? '',
  };
}

/** The run's progress panel: the run's status, as the page knows it (the benchmark times its changes). */
export function progressProbe(status: string | null): Attrs {
  return { 'data-status': status ?? '' };
}

/** The loss chart's canvas: points drawn over every series. */
export function lossChartProbe(points: number): Attrs {
  return { 'data-points': points };
}
