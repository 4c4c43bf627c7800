import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect, ConnectError } from './api/client';
import { warmCharts } from './charts/warm';
import { warmCanvasFonts } from './figures/canvas';
import { warmFigures } from './figures/warm';
import { whenIdle } from './lib/frame';
import { createAppRouter } from './router';
import { useAppStore } from './stores/app';
import { useExploreStore } from './stores/explore';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(createAppRouter());
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
// One-off costs of the first figure and chart, and of the run page's figure store, paid while
// the app waits for the user rather than when a run page opens (as the core starts training).
warmCanvasFonts();
warmFigures();
warmCharts();
whenIdle(() => useExploreStore(pinia));
