import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The compare report as a user writes it: real processes, two runs really
// trained on a slice of MNIST, one report folder. Needs the build (npm test
// builds before the unit tests).

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'vae-studio.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-cli-compare-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function train(name: string, ...flags: string[]): string {
  const { code, stdout, stderr } = cli(
    'train',
    '--preset',
    'keras-blog',
    '--train-limit',
    '256',
    '--test-limit',
    '128',
    '--name',
    name,
    '--json',
    ...flags,
  );
  expect(code, stderr).toBe(0);
  return (JSON.parse(stdout) as { runId: string }).runId;
}

describe('vae-studio runs export ID ID (compare report)', () => {
  let small: string;
  let wide: string;
  beforeAll(() => {
    small = train('z2 two epochs', '--epochs', '2');
    // Twelve latent dimensions: more than the traversal's ten rows.
    wide = train('z12 one epoch', '--epochs', '1', '--latent-dim', '12');
  });

  it('writes the overlaid losses, what differs, and both runs’ figures at the epoch they share', async () => {
    const out = path.join(dataDir, 'compare');
    const result = cli('runs', 'export', small, wide, '--out', out, '--json');
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { dir: string; files: string[]; epoch: number };
    expect(report.epoch).toBe(1);
    const figures = ['gallery', 'manifold', 'latent', 'kl', 'prior', 'interpolation', 'traversal'];
    expect(report.files.sort()).toEqual(
      [
        'loss.png',
        'loss.svg',
        'comparison.json',
        'report.html',
        ...[small, wide].flatMap((id) => [
          `${id}/metrics.csv`,
          ...figures.flatMap((f) => [`${id}/${f}.png`, `${id}/${f}.svg`]),
        ]),
      ].sort(),
    );
    // Every PNG decodes; at scale 2 each is at least twice its figure's width in units.
    for (const f of report.files.filter((x) => x.endsWith('.png'))) {
      const meta = await sharp(path.join(out, f)).metadata();
      expect(meta.format, f).toBe('png');
      expect(meta.width, f).toBeGreaterThan(100);
    }
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect([...html.matchAll(/<tr class="differs" data-key="([^"]+)">/g)].map((m) => m[1])).toEqual([
      'latentDim',
      'epochs',
    ]);
    expect(html).toContain('<h2>Figures at epoch 1</h2>');
    // The test loss of each run's last epoch, as training reported it.
    const shown = JSON.parse(cli('runs', 'show', small, '--json').stdout) as {
      epochs: { test: { loss: number } }[];
    };
    expect(html).toContain(`>${shown.epochs[1]!.test.loss.toFixed(2)}</td>`);

    const loss = fs.readFileSync(path.join(out, 'loss.svg'), 'utf8');
    const keys = [...loss.matchAll(/<path class="series" [^>]*data-key="([^"]+)"/g)].map((m) => m[1]);
    expect(keys).toEqual([small, small, wide, wide]);

    // One traversal row per latent dimension: all 2 of the small run, 10 of the wide run's 12.
    const rows = (id: string) =>
      [...fs.readFileSync(path.join(out, id, 'traversal.svg'), 'utf8').matchAll(/>(z \[\d+\])<\/text>/g)]
        .length;
    expect([rows(small), rows(wide)]).toEqual([2, 10]);
    expect(html).toMatch(
      /Only the 10 of 12 dimensions with the highest mean KL are shown \(z \[\d+\](, z \[\d+\]){9}\)/,
    );
  });

  it('refuses one run with an unknown one, exit 2, naming it, and writes nothing', () => {
    const out = path.join(dataDir, 'refused');
    expect(cli('runs', 'export', small, 'no-such-run', '--out', out)).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'vae-studio: There is no run "no-such-run" (deleted, or mistyped); list the runs to find their ids.\n',
    });
    expect(cli('runs', 'export', small, wide, '--epoch', '2', '--out', out)).toMatchObject({
      code: 2,
      stderr: `vae-studio: Not every run has figures of epoch 2: "z12 one epoch" (${wide}) has epochs 1. Choose an epoch every run has, or leave the epoch out for the newest one they share.\n`,
    });
    expect(fs.existsSync(out)).toBe(false);
  });
});
