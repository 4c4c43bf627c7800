import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { nextTask } from './lib/frame';
import RunsView from './views/RunsView.vue';

// Each other view is its own chunk, loaded on the way to it: the page's first script is then
// the shell and the runs list, not the charts and figures of every view (parsing those came
// before the first row of the runs list, which opens without waiting for a chunk of its own).
const AboutView = () => import('./views/AboutView.vue');
const CompareView = () => import('./views/CompareView.vue');
const NewRunView = () => import('./views/NewRunView.vue');
const RunView = () => import('./views/RunView.vue');
const SweepsView = () => import('./views/SweepsView.vue');
const SweepView = () => import('./views/SweepView.vue');

/** The app's views; hash history works both from file:// (desktop) and over HTTP (browser mode). */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/new' },
  { path: '/new', name: 'new', component: NewRunView, meta: { title: 'New run' } },
  { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
  /** One run: live training and its figures; `/runs/latest` opens the newest. */
  { path: '/runs/:id', name: 'run', component: RunView, meta: { title: 'Run' } },
  { path: '/sweeps', name: 'sweeps', component: SweepsView, meta: { title: 'Sweeps' } },
  { path: '/sweeps/:id', name: 'sweep', component: SweepView, meta: { title: 'Sweep' } },
  { path: '/compare', name: 'compare', component: CompareView, meta: { title: 'Compare' } },
  { path: '/about', name: 'about', component: AboutView, meta: { title: 'About' } },
  { path: '/:pathMatch(.*)*', redirect: '/new' },
];

export function createAppRouter() {
  const router = createRouter({ history: createWebHashHistory(), routes });
  router.afterEach((to) => {
    if (typeof document === 'undefined') return;
    const title = typeof to.meta.title === 'string' ? to.meta.title : '';
    // In a task of its own: the browser may take a while to take a new title (and the history
    // entry the navigation has just written) when it is short of CPU, as when a run starts.
    void nextTask().then(() => (document.title = title ? `${title} — VAE Studio` : 'VAE Studio'));
  });
  return router;
}
