import { describe, expect, it } from 'vitest';
import { main } from '../../../src-main/cli';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('command line', () => {
  it('lists its commands with --help', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('serve');
    expect(stdout).toContain('--port N');
    expect(stdout).toContain('--host H');
    expect(stdout).toContain('--data-dir D');
  });

  it('prints the version from package.json', async () => {
    const { code, stdout } = await run('--version');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with one clear line for an unknown command', async () => {
    const { code, stderr } = await run('trian');
    expect(code).toBe(2);
    expect(stderr).toBe('vae-studio: Unknown command "trian"; run vae-studio --help for the list.\n');
  });

  it('exits 2 for bad serve options', async () => {
    expect(await run('serve', '--port', 'abc')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --port must be an integer from 0 to 65535, not "abc".\n',
    });
    const unknown = await run('serve', '--prot', '1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^vae-studio: Unknown option '--prot'.*\n$/);
  });
});
