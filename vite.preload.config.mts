import { defineConfig } from 'vite';

// The sandboxed preload cannot require local files: bundle it, with its small
// shared imports, into one CommonJS file; `electron` stays external.
export default defineConfig({
  build: {
    outDir: 'dist/preload',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    lib: {
      entry: 'src-main/preload.ts',
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
