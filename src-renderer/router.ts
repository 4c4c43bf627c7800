import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import AboutView from './views/AboutView.vue';
import CompareView from './views/CompareView.vue';
import NewRunView from './views/NewRunView.vue';
import RunsView from './views/RunsView.vue';

/** The app's views; hash history works both from file:// (desktop) and over HTTP (browser mode). */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/new' },
  { path: '/new', name: 'new', component: NewRunView, meta: { title: 'New run' } },
  { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
  { path: '/compare', name: 'compare', component: CompareView, meta: { title: 'Compare' } },
  { path: '/about', name: 'about', component: AboutView, meta: { title: 'About' } },
  { path: '/:pathMatch(.*)*', redirect: '/new' },
];

export function createAppRouter() {
  return createRouter({ history: createWebHashHistory(), routes });
}
