import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
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

  describe('serve refuses before it listens', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-cli-serve-'));
    const savedToken = process.env.VAE_STUDIO_TOKEN;
    afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    afterEach(() => {
      if (savedToken === undefined) delete process.env.VAE_STUDIO_TOKEN;
      else process.env.VAE_STUDIO_TOKEN = savedToken;
    });

    it('a host beyond loopback without --allow-remote: exit 2, nothing created', async () => {
      // 192.0.2.1 first: code without the refusal fails here on the address instead of serving.
      for (const host of ['192.0.2.1', '0.0.0.0', '::', 'gpu-server.example']) {
        expect(await run('serve', '--host', host, '--port', '0', '--data-dir', dataDir)).toEqual({
          code: 2,
          stdout: '',
          stderr:
            `vae-studio: --host ${host} would expose the app beyond this machine, with its token in clear text; ` +
            'use an SSH tunnel to 127.0.0.1 instead, or add --allow-remote if you mean it.\n',
        });
      }
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('a short or URL-unsafe VAE_STUDIO_TOKEN: exit 2 with what to do', async () => {
      process.env.VAE_STUDIO_TOKEN = 'hunter2';
      expect(await run('serve', '--port', '0', '--data-dir', dataDir)).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'vae-studio: VAE_STUDIO_TOKEN: The token must be at least 32 characters long (this one has 7). ' +
          'Unset it to get a random token per launch.\n',
      });
      process.env.VAE_STUDIO_TOKEN = `${'x'.repeat(40)}#`;
      expect((await run('serve', '--port', '0', '--data-dir', dataDir)).stderr).toBe(
        'vae-studio: VAE_STUDIO_TOKEN: The token may contain only letters, digits, "-" and "_". ' +
          'Unset it to get a random token per launch.\n',
      );
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('an --allow-origin that is not an origin', async () => {
      expect(
        await run('serve', '--allow-origin', 'http://127.0.0.1:5173/', '--data-dir', dataDir),
      ).toMatchObject({
        code: 2,
        stderr:
          'vae-studio: --allow-origin takes an origin such as http://127.0.0.1:5173, not "http://127.0.0.1:5173/".\n',
      });
    });
  });
});
