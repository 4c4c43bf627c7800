import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

/**
 * The page's first script (src-renderer/boot.ts) as an entry of its own, named in index.html
 * before the app's: Vite would otherwise bundle every script of the page into one, and
 * boot.ts could not run before the app's scripts have loaded, which is its point.
 */
function bootScript(): Plugin {
  return {
    name: 'vae-studio-boot-script',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const boot = ctx.bundle
          ? Object.values(ctx.bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'boot')
          : undefined;
        if (ctx.bundle && !boot) throw new Error('The build has no boot chunk: see vite.config.mts.');
        const src = boot ? `./${boot.fileName}` : './boot.ts';
        const first = html.indexOf('<script type="module"');
        if (first < 0) throw new Error('index.html has no module script to put boot.ts before.');
        return `${html.slice(0, first)}<script type="module" crossorigin src="${src}"></script>\n    ${html.slice(first)}`;
      },
    },
  };
}

// The renderer: relative asset URLs so the same build loads from file://
// (desktop) and from browser mode's HTTP server.
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [vue(), bootScript()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: { index: 'src-renderer/index.html', boot: 'src-renderer/boot.ts' },
    },
  },
  server: {
    host: '127.0.0.1',
    strictPort: false,
  },
});
