import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hyperparams } from '../../../shared/hyperparams';
import { exportCompareReport } from '../../../src-main/export';
import { compareEpoch, shownNames } from '../../../src-main/export/compare-report';
import { traversalCaption, traversalDims } from '../../../src-main/export/report';
import { openStore, StoreError, type RunStore } from '../../../src-main/store';
import { hyperparams, metrics, snapshot, tempDir } from '../store/fixtures';

let tmp: ReturnType<typeof tempDir>;
let store: RunStore;
beforeEach(() => {
  tmp = tempDir('vae-compare-');
  store = openStore({ path: join(tmp.dir, 'runs.db'), appVersion: '0.1.0' });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

/** A completed run of `epochs` epochs with figures of every epoch. */
function run(name: string, hp: Partial<Hyperparams>, epochs: number, loss = (e: number) => 200 - e) {
  const created = store.createRun({
    hyperparams: hyperparams(hp),
    datasetHash: 'h',
    name,
    status: 'running',
  });
  for (let e = 1; e <= epochs; e++)
    store.recordEpoch({ runId: created.id, metrics: metrics(e, loss(e)), snapshot: snapshot(e) });
  store.setStatus({ runId: created.id, status: 'completed' });
  return created.id;
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('exportCompareReport', () => {
  it('writes the overlaid losses, the marked hyperparameters, the metrics and every run side by side', async () => {
    const a = run('small z', { latentDim: 2, beta: 1 }, 3);
    const b = run('big z', { latentDim: 2, beta: 4 }, 2, (e) => 150 - e);
    const c = run('big z', { latentDim: 2, beta: 4, learningRate: 0.01 }, 4);
    const dir = join(tmp.dir, 'compare');
    const result = await exportCompareReport({ store, runIds: [a, b, c], dir });
    // The newest epoch all three have: run b stopped at 2.
    expect(result.epoch).toBe(2);
    const figures = ['gallery', 'manifold', 'latent', 'kl', 'prior'];
    expect(readdirSync(dir).sort()).toEqual(
      [a, b, c, 'comparison.json', 'loss.png', 'loss.svg', 'report.html'].sort(),
    );
    for (const id of [a, b, c])
      expect(readdirSync(join(dir, id)).sort()).toEqual(
        [...figures.flatMap((f) => [`${f}.png`, `${f}.svg`]), 'metrics.csv'].sort(),
      );
    expect(
      readFileSync(join(dir, b, 'metrics.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(3);

    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    const marked = [...html.matchAll(/<tr class="differs" data-key="([^"]+)">/g)].map((m) => m[1]);
    expect(marked).toEqual(['learningRate', 'beta']);
    // An empty setting says what empty means rather than showing a dash.
    const cells = (key: string) =>
      [
        ...(html.match(new RegExp(`<tr data-key="${key}">.*?</tr>`))?.[0] ?? '').matchAll(
          /<td>([^<]*)<\/td>/g,
        ),
      ].map((m) => m[1]);
    expect(cells('threads')).toEqual(['every core', 'every core', 'every core']);
    // A name two runs share gets its run's id; the legend, tables and columns all use it.
    const names = shownNames([
      { id: a, name: 'small z' },
      { id: b, name: 'big z' },
      { id: c, name: 'big z' },
    ]);
    expect(names).toEqual(['small z', `big z (${b.slice(0, 8)})`, `big z (${c.slice(0, 8)})`]);
    // Final metrics: b's last test loss (148) is the lowest, so it alone is marked.
    expect([...html.matchAll(/<td class="best">([^<]+)<\/td>/g)].map((m) => m[1])).toEqual(['148.00']);
    expect([...html.matchAll(/<tr data-run="([^"]+)"><th>/g)].map((m) => m[1])).toEqual([a, b, c]);
    // Each figure row has one column per run, in the order given, showing that run's PNG.
    for (const f of figures) {
      const section = new RegExp(`<section class="compare-figure" id="${f}">([\\s\\S]*?)</section>`).exec(
        html,
      )?.[1];
      expect([...(section ?? '').matchAll(/<img src="([^"]+)"/g)].map((m) => m[1])).toEqual(
        [a, b, c].map((id) => `${id}/${f}.png`),
      );
    }
    // Every image the page shows is a file that was written.
    for (const [, src] of html.matchAll(/<img src="([^"]+)"/g))
      expect(existsSync(join(dir, src!))).toBe(true);

    const svg = readFileSync(join(dir, 'loss.svg'), 'utf8');
    const curves = [
      ...svg.matchAll(/<path class="series" data-name="[^"]*" data-key="([^"]+)"[^>]*stroke="([^"]+)"/g),
    ];
    expect(curves.map((m) => m[1])).toEqual([a, a, b, b, c, c]);
    expect(curves.map((m) => m[2])).toEqual([
      '#1f77b4',
      '#1f77b4',
      '#ff7f0e',
      '#ff7f0e',
      '#2ca02c',
      '#2ca02c',
    ]);
    const png = await sharp(join(dir, 'loss.png')).metadata();
    expect(png.format).toBe('png');
    expect(png.width).toBeGreaterThan(1000);

    const json = JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8')) as {
      exportedEpoch: number;
      differing: string[];
      runs: { id: string }[];
    };
    expect(json.exportedEpoch).toBe(2);
    expect(json.differing).toEqual(['learningRate', 'beta']);
    expect(json.runs.map((r) => r.id)).toEqual([a, b, c]);
  });

  it('writes the figures of the epoch asked for, in the formats asked for', async () => {
    const a = run('a', {}, 3);
    const b = run('b', { beta: 2 }, 3);
    const dir = join(tmp.dir, 'compare');
    const result = await exportCompareReport({
      store,
      runIds: [a, b],
      dir,
      epoch: 1,
      formats: ['svg'],
      scale: 1,
    });
    expect(result.epoch).toBe(1);
    expect(readdirSync(join(dir, a)).filter((f) => f.endsWith('.png'))).toEqual([]);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Figures at epoch 1</h2>');
    expect(html).toContain(`<img src="${a}/manifold.svg"`);
  });

  it.each<[string, (ids: { a: string; b: string; none: string }) => string[], string, string]>([
    [
      'one run',
      ({ a }) => [a],
      'invalid_input',
      'A compare report needs two or more runs, not 1; for one run write its own report',
    ],
    ['a run twice', ({ a, b }) => [a, b, a], 'invalid_input', 'is named more than once; name each run once.'],
    [
      'an unknown run',
      ({ a }) => [a, 'nope', 'gone'],
      'not_found',
      'There is no run "nope", "gone" (deleted, or mistyped)',
    ],
    ['a run with no epoch yet', ({ a, none }) => [a, none], 'not_found', '"empty" ('],
    [
      'eleven runs',
      ({ a }) => Array.from({ length: 11 }, (_, i) => `${a}${i}`),
      'invalid_input',
      'at most 10 runs',
    ],
  ])('refuses %s with a message saying what to do, and writes nothing', async (_, ids, code, message) => {
    const a = run('a', {}, 2);
    const b = run('b', {}, 2);
    const none = store.createRun({
      hyperparams: hyperparams(),
      datasetHash: 'h',
      name: 'empty',
      status: 'running',
    }).id;
    const dir = join(tmp.dir, 'compare');
    const error = await failure(exportCompareReport({ store, runIds: ids({ a, b, none }), dir }));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses an epoch a run lacks, naming the run and its epochs', async () => {
    const a = run('a', {}, 3);
    const b = run('b', {}, 2);
    const dir = join(tmp.dir, 'compare');
    const error = await failure(exportCompareReport({ store, runIds: [a, b], dir, epoch: 3 }));
    expect(error.code).toBe('not_found');
    expect(error.message).toBe(
      `Not every run has figures of epoch 3: "b" (${b}) has epochs 1, 2. Choose an epoch every run has, or leave the epoch out for the newest one they share.`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a folder it cannot create as the user’s input, and leaves nothing', async () => {
    const a = run('a', {}, 1);
    const b = run('b', {}, 1);
    writeFileSync(join(tmp.dir, 'a-file'), 'x');
    const dir = join(tmp.dir, 'a-file', 'compare');
    const error = await failure(exportCompareReport({ store, runIds: [a, b], dir }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      `Could not open the report folder ${dir}: a part of the path is a file, not a folder (ENOTDIR); choose a folder you can write to.`,
    );
    expect(readFileSync(join(tmp.dir, 'a-file'), 'utf8')).toBe('x');
  });
});

describe('compareEpoch', () => {
  const r = (id: string, snapshotEpochs: number[]) => ({ id, name: id, snapshotEpochs });
  it('takes the newest epoch every run has figures of', () => {
    expect(compareEpoch([r('a', [1, 2, 3, 4]), r('b', [1, 2, 3]), r('c', [2, 3, 4, 5])])).toBe(3);
    expect(compareEpoch([r('a', [1, 2]), r('b', [1, 2])], 1)).toBe(1);
  });
  it('refuses runs that share no epoch', () => {
    expect(() => compareEpoch([r('a', [1]), r('b', [2])])).toThrow(
      'The runs have no epoch with figures in common ("a" (a): 1; "b" (b): 2); compare runs whose epochs overlap.',
    );
  });
});

describe('the traversal of every latent dimension', () => {
  it('sweeps every dimension up to ten, and past that the ten of highest KL', () => {
    expect(traversalDims(3, [0.1, 0, 2])).toEqual([0, 1, 2]);
    expect(traversalDims(10, [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const kl = Array.from({ length: 32 }, (_, d) => (d % 3 === 0 ? 5 + d / 100 : 0.01));
    // Dimensions 0, 3, …, 27 have the highest KL; the ten highest of the eleven are 3…30.
    expect(traversalDims(32, kl)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
  });
  it('says in the caption which dimensions were left out', () => {
    expect(traversalCaption(2, [0, 1])).toBe(
      'Each latent dimension is swept from −3 to 3 (one row each), the other dimensions at 0.',
    );
    expect(traversalCaption(12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10])).toBe(
      'Each latent dimension is swept from −3 to 3 (one row each), the other dimensions at 0. Only the 10 of 12 dimensions with the highest mean KL are shown (z [0], z [1], z [2], z [3], z [4], z [5], z [6], z [7], z [8], z [10]); the other 2 are left out, those with KL near 0 decode to the same image along their row.',
    );
  });
});
