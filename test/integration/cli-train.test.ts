import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The CLI as a user runs it: real processes, a real database, real training on
// a slice of MNIST. Needs the build (npm test builds before the unit tests).

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'vae-studio.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-cli-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Report {
  runId: string;
  status: string;
  backend: string;
  device: string;
  hyperparams: { epochs: number; latentDim: number; trainLimit: number; threads: number | null };
  epochs: {
    epoch: number;
    train: { loss: number; recon: number; kl: number };
    test: { loss: number };
    seconds: number;
  }[];
}

describe('vae-studio train and runs', () => {
  it('trains, prints the JSON report, lists and exports the run', () => {
    const { code, stdout, stderr } = cli(
      'train',
      '--preset',
      'keras-blog',
      '--epochs',
      '2',
      '--train-limit',
      '256',
      '--test-limit',
      '128',
      '--threads',
      '1',
      '--json',
    );
    expect(stderr).toContain('epoch 2:');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.status).toBe('completed');
    expect(report.backend).toBe('wasm');
    // The run records the thread count its kernels used.
    expect(report.device).toMatch(/^CPU \(WebAssembly, SIMD.*\), 1 thread$/);
    expect(report.hyperparams).toMatchObject({ epochs: 2, latentDim: 2, trainLimit: 256, threads: 1 });
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of report.epochs) {
      expect(e.train.loss).toBeCloseTo(e.train.recon + e.train.kl, 3);
      expect(e.test.loss).toBeGreaterThan(0);
      expect(e.seconds).toBeGreaterThan(0);
    }
    const listed = JSON.parse(cli('runs', 'list', '--json').stdout) as { id: string; status: string }[];
    expect(listed.map((r) => [r.id, r.status])).toEqual([[report.runId, 'completed']]);
    const out = path.join(dataDir, 'report');
    const exported = cli('runs', 'export', report.runId, '--out', out, '--json');
    expect(exported.code).toBe(0);
    for (const file of [
      'gallery.png',
      'manifold.png',
      'prior.png',
      'metrics.csv',
      'latent.csv',
      'hyperparams.json',
    ]) {
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('answers bad arguments with exit code 2 and one line naming the field and its bounds', () => {
    expect(cli('train', '--latent-dim', '0')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --latent-dim: Latent dimension must be an integer from 1 to 64.\n',
    });
    expect(cli('train', '--lr', 'NaN')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --lr must be a number, not "NaN".\n',
    });
    expect(cli('train', '--batch-size', '512', '--train-limit', '100').stderr).toBe(
      'vae-studio: Batch size 512 is larger than the training set (100 images); lower the batch size or use more training images.\n',
    );
    expect(cli('runs', 'show', 'no-such-run').code).toBe(2);
  });

  it('marks a run killed mid-training as interrupted, and resuming completes it', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'train',
        '--epochs',
        '3',
        '--train-limit',
        '512',
        '--test-limit',
        '128',
        '--name',
        'killed',
        '--data-dir',
        dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Kill it hard once the first epoch is stored: no chance to clean up.
        if (stderr.includes('epoch 1:')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`train ended before epoch 1:\n${stderr}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const runs = JSON.parse(cli('runs', 'list', '--json', '--text', 'killed').stdout) as {
      id: string;
      status: string;
      epochsDone: number;
    }[];
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.status).toBe('interrupted');
    expect(run.epochsDone).toBeGreaterThanOrEqual(1);
    const resumed = cli('runs', 'resume', run.id, '--json');
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as Report;
    expect(report.status).toBe('completed');
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);

    // The process died after epoch 1 was stored: the resumed run is the run left alone, to the bit.
    const straight = cli(
      'train',
      '--epochs',
      '3',
      '--train-limit',
      '512',
      '--test-limit',
      '128',
      '--name',
      'straight',
      '--json',
    );
    expect(straight.code).toBe(0);
    const losses = (r: Report) => r.epochs.map((e) => ({ epoch: e.epoch, train: e.train, test: e.test }));
    expect(losses(report)).toEqual(losses(JSON.parse(straight.stdout) as Report));
  });

  it("shows each run's size, and pruning a run frees it", () => {
    const listed = cli('runs', 'list', '--text', 'straight');
    expect(listed.stdout).toMatch(/SIZE/);
    const runs = JSON.parse(cli('runs', 'list', '--json', '--text', 'straight').stdout) as {
      id: string;
      sizeBytes: number;
    }[];
    const run = runs[0]!;
    const shown = cli('runs', 'show', run.id);
    expect(shown.stdout).toMatch(
      /^size: \d+(\.\d)? [KM]B \(snapshots .*, per-epoch weights .*, checkpoint .*\); keeps every epoch's weights$/m,
    );
    const pruned = cli('runs', 'prune', run.id, '--keep-checkpoints', '1', '--json');
    expect(pruned.code).toBe(0);
    const report = JSON.parse(pruned.stdout) as {
      prunedEpochs: number[];
      freedBytes: number;
      run: { sizeBytes: number };
    };
    expect(report.prunedEpochs).toEqual([1, 2]);
    expect(report.freedBytes).toBeGreaterThan(0);
    expect(report.run.sizeBytes).toBe(run.sizeBytes - report.freedBytes);
    expect(cli('runs', 'show', run.id).stdout).toMatch(/keeps the last epoch's weights/);
    expect(cli('runs', 'prune', run.id, '--keep-checkpoints', '0')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --keep-checkpoints must be a whole number of at least 1 or "all", not "0".\n',
    });
    // The run still resumes from its checkpoint (nothing to do: it completed), and is still exported.
    expect(cli('runs', 'export', run.id, '--out', path.join(dataDir, 'pruned'), '--json').code).toBe(0);
  });
});
