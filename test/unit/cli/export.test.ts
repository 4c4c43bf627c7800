import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src-main/cli';
import { databaseFileName } from '../../../src-main/core/core';
import { openStore } from '../../../src-main/store';
import { hyperparams, metrics, snapshot, tempDir } from '../store/fixtures';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('vae-studio runs export', () => {
  let tmp: ReturnType<typeof tempDir>;
  let runId: string;
  beforeEach(() => {
    tmp = tempDir('vae-cli-export-');
    const store = openStore({ path: join(tmp.dir, databaseFileName), appVersion: '0.1.0' });
    const created = store.createRun({ hyperparams: hyperparams(), datasetHash: 'h', status: 'running' });
    store.recordEpoch({ runId: created.id, metrics: metrics(1), snapshot: snapshot(1) });
    store.setStatus({ runId: created.id, status: 'completed' });
    store.close();
    runId = created.id;
  });
  afterEach(() => tmp.cleanup());

  it('refuses a folder that is not empty unless --overwrite is given', async () => {
    const out = join(tmp.dir, 'report');
    const first = await run('runs', 'export', runId, '--out', out, '--data-dir', tmp.dir);
    expect(first).toMatchObject({ code: 0, stdout: `Wrote 17 files to ${out}\n` });
    const again = await run('runs', 'export', runId, '--out', out, '--data-dir', tmp.dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `vae-studio: The report folder ${out} is not empty (it holds batches.csv, gallery.png, gallery.svg, …); choose a new or empty folder, or allow replacing an earlier report ("Replace an earlier report" in the app, --overwrite on the command line).\n`,
    );
    const forced = await run('runs', 'export', runId, '--out', out, '--data-dir', tmp.dir, '--overwrite');
    expect(forced).toMatchObject({ code: 0, stdout: `Wrote 17 files to ${out}\n` });
  });

  it('refuses to write through a planted link and leaves its target as it was', async () => {
    const out = join(tmp.dir, 'report');
    const victim = join(tmp.dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    mkdirSync(out);
    symlinkSync(victim, join(out, 'metrics.csv'));
    const result = await run('runs', 'export', runId, '--out', out, '--data-dir', tmp.dir, '--overwrite');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `vae-studio: metrics.csv in the report folder ${out} is a symbolic link (it points to ${victim}); VAE Studio never writes through links. Remove the link or choose another folder.\n`,
    );
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readdirSync(out)).toEqual(['metrics.csv']);
  });

  it.each([
    [['--epoch', '5'], `Run "RUN" has no figures of epoch 5; epochs with figures: 1.`],
    [['--scale', '4'], '--scale must be one of 1, 2, 3, not "4".'],
    [['--scale', '1.5'], '--scale must be one of 1, 2, 3, not "1.5".'],
    [['--format', 'png,jpg'], '--format takes png, svg or both separated by a comma (png,svg), not "jpg".'],
    [['--background', 'blue'], '--background must be one of light, dark, transparent, not "blue".'],
  ])('refuses %j naming the allowed values, and writes nothing', async (flags, message) => {
    const out = join(tmp.dir, 'report');
    const result = await run('runs', 'export', runId, '--out', out, '--data-dir', tmp.dir, ...flags);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`vae-studio: ${message.replace('RUN', runId)}\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('writes only the formats asked for, at the scale asked for', async () => {
    const out = join(tmp.dir, 'report');
    const result = await run(
      'runs',
      'export',
      runId,
      '--out',
      out,
      '--data-dir',
      tmp.dir,
      '--format',
      'svg',
      '--scale',
      '3',
    );
    expect(result).toMatchObject({ code: 0, stdout: `Wrote 11 files to ${out}\n` });
    const names = readdirSync(out);
    expect(names.filter((n) => n.endsWith('.png'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('.svg')).sort()).toEqual([
      'gallery.svg',
      'kl.svg',
      'latent.svg',
      'loss.svg',
      'manifold.svg',
      'prior.svg',
    ]);
    // 3×3 manifold of 4-pixel images (the fixture's): 52 + 12 + 12 units wide, 12 + 12 + 44 high, ×3.
    expect(readFileSync(join(out, 'manifold.svg'), 'utf8')).toMatch(
      /^<svg [^>]*width="228" height="204" viewBox="0 0 76 68"/,
    );
  });
});

describe('vae-studio runs export ID ID … (compare report)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ids: string[];
  beforeEach(() => {
    tmp = tempDir('vae-cli-compare-');
    const store = openStore({ path: join(tmp.dir, databaseFileName), appVersion: '0.1.0' });
    ids = [1, 4].map((beta) => {
      const created = store.createRun({
        hyperparams: hyperparams({ beta }),
        datasetHash: 'h',
        status: 'running',
      });
      store.recordEpoch({ runId: created.id, metrics: metrics(1), snapshot: snapshot(1) });
      store.setStatus({ runId: created.id, status: 'completed' });
      return created.id;
    });
    store.close();
  });
  afterEach(() => tmp.cleanup());

  it('writes a compare report of the runs named, at the epoch they share', async () => {
    const out = join(tmp.dir, 'compare');
    const result = await run(
      'runs',
      'export',
      ...ids,
      '--out',
      out,
      '--data-dir',
      tmp.dir,
      '--format',
      'svg',
    );
    // loss.svg, comparison.json, report.html, and per run 5 figures + metrics.csv.
    expect(result).toMatchObject({
      code: 0,
      stdout: `Wrote a compare report of 2 runs at epoch 1: 15 files to ${out}\n`,
    });
    expect(readdirSync(out).sort()).toEqual([...ids, 'comparison.json', 'loss.svg', 'report.html'].sort());
  });

  it.each([
    [['A', 'A'], 'runs export got run "A" more than once; name each run once.'],
    [['A', 'nope'], 'There is no run "nope" (deleted, or mistyped); list the runs to find their ids.'],
    [
      ['A', 'B', '--epoch', '2'],
      'Not every run has figures of epoch 2: "RUN A" (A) has epochs 1; "RUN B" (B) has epochs 1. Choose an epoch every run has, or leave the epoch out for the newest one they share.',
    ],
    [['A', 'B', '--scale', '5'], '--scale must be one of 1, 2, 3, not "5".'],
    [
      ['A', 'B', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      'runs export takes at most 10 run ids for a compare report (one colour each), not 11; split them into several reports.',
    ],
  ])('refuses %j with exit 2, one line saying what to do, and writes nothing', async (args, message) => {
    const [a, b] = ids as [string, string];
    const sub = (t: string) => t.replace(/\bA\b/g, a).replace(/\bB\b/g, b);
    const names = Object.fromEntries(
      (
        JSON.parse((await run('runs', 'list', '--json', '--data-dir', tmp.dir)).stdout) as {
          id: string;
          name: string;
        }[]
      ).map((r) => [r.id, r.name]),
    );
    const out = join(tmp.dir, 'compare');
    const result = await run('runs', 'export', ...args.map(sub), '--out', out, '--data-dir', tmp.dir);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      `vae-studio: ${sub(message)
        .replace('RUN ' + a, names[a] ?? '')
        .replace('RUN ' + b, names[b] ?? '')}\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an --out it cannot create with exit 2, naming the folder', async () => {
    writeFileSync(join(tmp.dir, 'a-file'), 'x');
    const out = join(tmp.dir, 'a-file', 'compare');
    const result = await run('runs', 'export', ...ids, '--out', out, '--data-dir', tmp.dir);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      `vae-studio: Could not open the report folder ${out}: a part of the path is a file, not a folder (ENOTDIR); choose a folder you can write to.\n`,
    );
  });
});
