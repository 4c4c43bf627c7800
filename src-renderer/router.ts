import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { nextTask } from './lib/frame';
import AboutView from './views/AboutView.vue';
import CompareView from './views/CompareView.vue';
import NewRunView from './views/NewRunView.vue';
import RunsView from './views/RunsView.vue';
import RunView from './views/RunView.vue';
import SweepsView from './views/SweepsView.vue';
import SweepView from './views/SweepView.vue';

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
