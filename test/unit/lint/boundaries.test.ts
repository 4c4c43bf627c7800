import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import tseslint from 'typescript-eslint';
// @ts-expect-error -- a plain .mjs config module without type declarations
import { boundaries } from '../../../eslint.boundaries.mjs';

// Lints snippets against the project's real zone definitions (without the
// type-aware rules, which need files on disk).
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    ...(boundaries as ESLint.Options['overrideConfig'][]),
  ] as ESLint.Options['overrideConfig'],
});

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('import boundaries', () => {
  it('forbid electron and node:* in the renderer', async () => {
    expect(await violations('src-renderer/views/x.ts', "import { ipcRenderer } from 'electron';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-renderer/x.ts', "import * as fs from 'node:fs';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-renderer/x.ts', "import * as fs from 'fs';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-renderer/x.ts', "import { x } from '../src-main/core/core';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-renderer/x.ts', "import { ref } from 'vue';")).toEqual([]);
    // A local folder named like a built-in module is not a built-in.
    expect(await violations('src-renderer/views/x.ts', "import { f } from '../util/format';")).toEqual([]);
    expect(await violations('src-renderer/x.ts', "import { readFile } from 'fs/promises';")).toEqual([
      'no-restricted-imports',
    ]);
  });

  it('forbid anything platform-bound in shared/', async () => {
    for (const source of ['node:path', 'electron', 'vue', 'better-sqlite3', '@tensorflow/tfjs-core', 'ws']) {
      expect(await violations('shared/x.ts', `import * as m from '${source}';`)).toEqual([
        'no-restricted-imports',
      ]);
    }
    expect(await violations('shared/x.ts', "import { z } from 'zod';")).toEqual([]);
  });

  it('keep electron out of the core and the training worker', async () => {
    expect(await violations('src-main/training/worker.ts', "import { app } from 'electron';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-main/core/core.ts', "import { app } from 'electron';")).toEqual([
      'no-restricted-imports',
    ]);
    expect(await violations('src-main/index.ts', "import { app } from 'electron';")).toEqual([]);
  });
});
