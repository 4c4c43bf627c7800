import { describe, expect, it } from 'vitest';
import {
  boundsText,
  hyperparamFields,
  hyperparamFlags,
  hyperparamsSchema,
  presets,
  type NumberField,
} from '../../../shared/hyperparams';
import { main } from '../../../src-main/cli';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The help's line of a flag, e.g. `      --lr X              learning rate, …`. */
function lineOf(help: string, flag: string): string {
  const line = help.split('\n').find((l) => l.trimStart().startsWith(`${flag} `));
  if (line === undefined) throw new Error(`no line for ${flag} in the help`);
  return line;
}

describe('help', () => {
  it('has a line for every hyperparameter, under train, with the flag the parser reads', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    const trainAt = stdout.indexOf('\n  train ');
    const runsAt = stdout.indexOf('\n  runs list');
    for (const key of Object.keys(hyperparamsSchema.shape) as (keyof typeof hyperparamFlags)[]) {
      const at = stdout.indexOf(lineOf(stdout, `--${hyperparamFlags[key]}`));
      expect(at).toBeGreaterThan(trainAt);
      expect(at).toBeLessThan(runsAt);
    }
  });

  it("states each numeric hyperparameter's limits and its default from the table", async () => {
    const { stdout } = await run('--help');
    const defaults = presets[0]!.hyperparams;
    for (const [key, field] of Object.entries(hyperparamFields) as [
      keyof typeof hyperparamFields,
      NumberField,
    ][]) {
      const line = lineOf(stdout, `--${hyperparamFlags[key]}`);
      expect(line).toContain(boundsText(field));
      expect(line).toContain(`(default ${defaults[key] ?? field.whenEmpty ?? 'all'})`);
      expect(line.toLowerCase()).toContain(field.label.toLowerCase());
    }
  });

  it('writes the train options as these exact lines', async () => {
    const { stdout } = await run('--help');
    expect(lineOf(stdout, '--preset')).toBe(
      '      --preset P          keras-blog (default) | pytorch-example | keras-conv',
    );
    expect(lineOf(stdout, '--arch')).toBe('      --arch A            mlp (default) | conv');
    expect(lineOf(stdout, '--hidden')).toBe(
      '      --hidden N[,N…]     hidden layer sizes (conv: dense units), 1 to 4 layers of 1 to 4096 units (default 256)',
    );
    expect(lineOf(stdout, '--latent-dim')).toBe(
      '      --latent-dim N      latent dimension, an integer from 1 to 64 (default 2)',
    );
    expect(lineOf(stdout, '--kl-warmup')).toBe(
      '      --kl-warmup N       KL warm-up epochs, an integer from 0 to 1000 (default 0)',
    );
    expect(lineOf(stdout, '--lr')).toBe(
      '      --lr X              learning rate, a number greater than 0 and at most 1 (default 0.001)',
    );
    expect(lineOf(stdout, '--train-limit')).toBe(
      '      --train-limit N     training images: use only the first N, an integer from 1 to 10000000 (default all)',
    );
    expect(lineOf(stdout, '--threads')).toBe(
      '      --threads N         CPU threads, an integer from 1 to 256 (default every core)',
    );
    expect(lineOf(stdout, '--backend')).toBe(
      '      --backend B         auto (default) | tensorflow | webgpu | wasm | cpu',
    );
  });

  it('names the flag of each numeric hyperparameter the parser rejects', async () => {
    for (const [key, field] of Object.entries(hyperparamFields) as [
      keyof typeof hyperparamFields,
      NumberField,
    ][]) {
      const flag = `--${hyperparamFlags[key]}`;
      const { code, stderr } = await run('train', flag, String(field.max + 1));
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(`^vae-studio: ${flag}: ${field.label.replace(/[()]/g, '\\$&')} must be`),
      );
    }
  });
});
