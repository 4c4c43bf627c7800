import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The renderer: relative asset URLs so the same build loads from file://
// (desktop) and from browser mode's HTTP server.
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [vue()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    host: '127.0.0.1',
    strictPort: false,
  },
});
