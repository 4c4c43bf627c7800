import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { connect, ConnectError } from './api/client';
import { whenIdle } from './lib/frame';
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
// The warm-up's code (charts, figures) is a chunk of its own, fetched once the page is idle.
whenIdle(() => void import('./lib/warm-up').then(({ warmUp }) => warmUp(pinia)));
