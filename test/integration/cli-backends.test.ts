import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `vae-studio backends` and `train --backend webgpu` as a user runs them, in
// separate processes: Dawn is loaded and asked for adapters once per process,
// and the Vulkan loader reads VK_ICD_FILENAMES when it starts. Needs the build.

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'vae-studio.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-backends-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';
// A Vulkan loader pointed at no driver: Dawn finds no adapter at all.
const noGpu = { VK_ICD_FILENAMES: path.join(dataDir, 'no-such-icd.json') };

function cli(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VAE_STUDIO_DATA_DIR: dataDir, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('vae-studio backends', () => {
  it.skipIf(!fs.existsSync(swiftShaderIcd))(
    'lists the software adapter as used only when chosen, with the adapters in --json',
    () => {
      const { code, stdout } = cli({ VK_ICD_FILENAMES: swiftShaderIcd }, 'backends');
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
      expect(lines[1]).toMatch(/^webgpu +available +SwiftShader.* \(software, used only when chosen\)$/);
      expect(lines[2]).toBe('wasm       available    CPU (WebAssembly)');

      const json = JSON.parse(cli({ VK_ICD_FILENAMES: swiftShaderIcd }, 'backends', '--json').stdout) as {
        adapters: { name: string; software: boolean }[];
      };
      expect(json.adapters.some((a) => /SwiftShader/.test(a.name) && a.software)).toBe(true);
    },
  );

  it('with no adapter, webgpu is unavailable and says why', () => {
    const { code, stdout } = cli(noGpu, 'backends');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^webgpu +unavailable +Dawn found no GPU adapter/m);
  });

  it('a Dawn binary that fails to load: webgpu unavailable with the reason, nothing else changes', () => {
    const broken = path.join(dataDir, 'dawn.node');
    fs.writeFileSync(broken, 'not a shared library');
    const { code, stdout } = cli({ VAE_STUDIO_DAWN_PATH: broken }, 'backends');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^webgpu +unavailable +Dawn \(dawn\.node\) failed to load: .+$/m);
    expect(stdout).toMatch(/^wasm +available +CPU \(WebAssembly\)$/m);
    expect(stdout).toMatch(/^cpu +available +CPU \(plain JavaScript\)$/m);
  });

  it('train --backend webgpu with no adapter exits 2 naming what Dawn saw and what is available', () => {
    const { code, stdout, stderr } = cli(noGpu, 'train', '--backend', 'webgpu', '--epochs', '1');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^vae-studio: --backend webgpu cannot run here\. Dawn found no GPU adapter .*Adapters Dawn saw: none\. Available backends: wasm, cpu \(or --backend auto\)\.$/m,
    );
    // Refused before a run was created.
    expect(cli({}, 'runs', 'list', '--json').stdout.trim()).toBe('[]');
  });
});
