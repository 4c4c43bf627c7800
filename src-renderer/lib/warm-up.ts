import type { Pinia } from 'pinia';
import { warmCharts } from '../charts/warm';
import { warmCanvasFonts } from '../figures/canvas';
import { warmFigures } from '../figures/warm';
import { useExploreStore } from '../stores/explore';
import { whenIdle } from './frame';

/**
 * Every warm-up of the page, in one place: the one-off costs of the first
 * figure and chart (fonts, compiling the drawing loops, the figure worker) and
 * of the run page's stores, paid while the app waits for the user rather than
 * when a run page opens, just as the core starts training. Each step runs when
 * the page is idle; none changes what the user sees.
 */
export function warmUp(pinia: Pinia): void {
  warmCanvasFonts();
  warmFigures();
  warmCharts();
  whenIdle(() => useExploreStore(pinia));
}
