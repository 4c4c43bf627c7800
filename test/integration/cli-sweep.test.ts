import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Sweeps as a user runs them: real processes, a real database, real training
// on a slice of MNIST with a small model. Needs the build (dist/node).

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'vae-studio.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-sweep-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const small = ['--train-limit', '256', '--test-limit', '64', '--hidden', '32', '--batch-size', '64'];

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface SweepReport {
  sweepId: string;
  status: string;
  total: number;
  completed: number;
  runs: {
    jobId: number;
    runId: string | null;
    status: string;
    values: Record<string, number>;
    epochsDone: number;
    message: string | null;
  }[];
}

interface ListedRun {
  id: string;
  status: string;
  epochsDone: number;
  finishedAt: string | null;
}

describe('vae-studio sweep', () => {
  it('queues a 2×2 grid, trains every run, and prints the sweep and its runs', () => {
    const { code, stdout, stderr } = cli(
      'sweep',
      '--beta',
      '0.5,1',
      '--latent-dim',
      '2,4',
      '--epochs',
      '1',
      ...small,
      '--name',
      'grid',
      '--json',
    );
    expect(stderr).toContain('4 run(s) queued');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as SweepReport;
    expect(report).toMatchObject({ status: 'completed', total: 4, completed: 4 });
    expect(report.runs.map((r) => [r.status, r.values, r.epochsDone])).toEqual([
      ['completed', { latentDim: 2, beta: 0.5 }, 1],
      ['completed', { latentDim: 2, beta: 1 }, 1],
      ['completed', { latentDim: 4, beta: 0.5 }, 1],
      ['completed', { latentDim: 4, beta: 1 }, 1],
    ]);
    const list = JSON.parse(cli('sweep', 'list', '--json').stdout) as {
      id: string;
      done: number;
      total: number;
    }[];
    expect(list).toContainEqual(expect.objectContaining({ id: report.sweepId, done: 4, total: 4 }));
    const runs = JSON.parse(cli('runs', 'list', '--sweep', report.sweepId, '--json').stdout) as ListedRun[];
    expect(runs.map((r) => r.id).sort()).toEqual(report.runs.map((r) => r.runId).sort());
  });

  it('with --parallel 2, two processes share the queue and train every run exactly once', () => {
    const { code, stdout, stderr } = cli(
      'sweep',
      '--seed',
      '1,2,3,4',
      '--epochs',
      '1',
      ...small,
      '--name',
      'parallel',
      '--parallel',
      '2',
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as SweepReport;
    expect(report).toMatchObject({ status: 'completed', total: 4, completed: 4 });
    expect(new Set(report.runs.map((r) => r.runId)).size).toBe(4);
    // The second process trained some of them.
    expect(stderr).toMatch(/\[worker 2\] \[\d\/4\] seed \d/);
    const runs = JSON.parse(cli('runs', 'list', '--sweep', report.sweepId, '--json').stdout) as ListedRun[];
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('marks a run that cannot train as failed and goes on with the next', () => {
    const { code, stdout } = cli(
      'sweep',
      '--batch-size',
      '512,64',
      '--epochs',
      '1',
      '--train-limit',
      '256',
      '--test-limit',
      '64',
      '--hidden',
      '32',
      '--name',
      'one fails',
      '--json',
    );
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as SweepReport;
    expect(report).toMatchObject({ status: 'completed', total: 2, completed: 1 });
    expect(report.runs.map((r) => [r.status, r.values, r.message])).toEqual([
      [
        'failed',
        { batchSize: 512 },
        'Batch size 512 is larger than the training set (256 images); lower the batch size or use more training images.',
      ],
      ['completed', { batchSize: 64 }, null],
    ]);
  });

  it('refuses bad input before anything is queued', () => {
    const before = (JSON.parse(cli('sweep', 'list', '--json').stdout) as unknown[]).length;
    expect(cli('sweep', '--beta', '1,200')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --beta: β (KL weight) must be a number from 0 to 100; 200 is not.\n',
    });
    expect(cli('sweep', '--beta', '')).toMatchObject({
      code: 2,
      stderr: 'vae-studio: --beta: the list of values is empty; give at least one value.\n',
    });
    expect(cli('sweep', '--latent-dim', '1:64:64', '--beta', '0:10:11')).toMatchObject({
      code: 2,
      stderr:
        'vae-studio: This sweep would queue 704 runs; the most is 500. Use fewer values or random search (--samples).\n',
    });
    expect(cli('sweep', '--beta', '1,2', '--parallel', '999').stderr).toMatch(
      /^vae-studio: --parallel must be an integer from 1 to \d+ \(the cores here; the workers share them\), not "999".\n$/,
    );
    expect(JSON.parse(cli('sweep', 'list', '--json').stdout)).toHaveLength(before);
  });

  it('after a kill mid-sweep, resume finishes exactly the runs that were left', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'sweep',
        '--beta',
        '0.5,1,2',
        '--epochs',
        '2',
        ...small,
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
        // Hard kill once the second run has stored an epoch: no chance to clean up.
        const second = stderr.indexOf('[2/3]');
        if (second >= 0 && stderr.indexOf('epoch 1:', second) >= 0) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`sweep ended before its second run's epoch 1:\n${stderr}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const sweeps = JSON.parse(cli('sweep', 'list', '--json').stdout) as {
      id: string;
      name: string;
      done: number;
    }[];
    const killed = sweeps.find((s) => s.name === 'killed')!;
    expect(killed.done).toBe(1);
    const before = JSON.parse(cli('sweep', 'show', killed.id, '--json').stdout) as SweepReport;
    const [first, second, third] = before.runs;
    expect(first!.status).toBe('completed');
    expect(second!.runId).not.toBeNull();
    expect(third).toMatchObject({ status: 'queued', runId: null });
    const firstRun = (JSON.parse(cli('runs', 'list', '--json').stdout) as ListedRun[]).find(
      (r) => r.id === first!.runId,
    )!;

    const resumed = cli('sweep', 'resume', killed.id, '--json');
    expect(resumed.code).toBe(0);
    const after = JSON.parse(resumed.stdout) as SweepReport;
    expect(after.runs.map((r) => [r.status, r.epochsDone])).toEqual([
      ['completed', 2],
      ['completed', 2],
      ['completed', 2],
    ]);
    // The cut-off run was resumed (same run), the finished one left alone, only the third one new.
    expect(after.runs[0]!.runId).toBe(first!.runId);
    expect(after.runs[1]!.runId).toBe(second!.runId);
    expect(resumed.stderr).toContain('2 run(s) left');
    const runs = JSON.parse(cli('runs', 'list', '--sweep', killed.id, '--json').stdout) as ListedRun[];
    expect(runs).toHaveLength(3);
    expect(runs.find((r) => r.id === first!.runId)!.finishedAt).toBe(firstRun.finishedAt);
  });
});
