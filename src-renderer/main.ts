import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect, ConnectError } from './api/client';
import { warmCharts } from './charts/warm';
import { warmCanvasFonts } from './figures/canvas';
import { warmFigures } from './figures/warm';
import { createAppRouter } from './router';
import { useAppStore } from './stores/app';
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
// One-off costs of the first figure and chart, paid while the app waits for the user.
warmCanvasFonts();
warmFigures();
warmCharts();
