import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect, ConnectError } from './api/client';
import { whenIdle } from './lib/frame';
import { createAppRouter } from './router';
import { useAppStore } from './stores/app';
import './styles.css';

/** After the first view is ready: long enough for its first answers to arrive and be drawn. */
const warmUpDelayMs = 1000;

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const router = createAppRouter();
app.use(router);
const store = useAppStore(pinia);

connect().then(
  (client) => {
    store.attach(client);
    document.documentElement.dataset.connected = 'true';
  },
  (error: unknown) => {
    store.connectionError =
      error instanceof ConnectError ? error.message : 'Could not connect to VAE Studio; reload the page.';
    document.documentElement.dataset.connected = 'false';
  },
);
app.mount('#app');
// The warm-up's code (charts, figures) is a chunk of its own, fetched when the page is idle
// after the first view has had its data: the page is "idle" whenever it waits for the network,
// and a warm-up compiled then delayed the runs list's first row by its length.
void router
  .isReady()
  .then(() =>
    setTimeout(
      () => whenIdle(() => void import('./lib/warm-up').then(({ warmUp }) => warmUp(pinia))),
      warmUpDelayMs,
    ),
  );
