import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hyperparams } from '../../../shared/hyperparams';
import type { Snapshot } from '../../../shared/run';
import { exportReport } from '../../../src-main/export';
import { openStore, StoreError, type NamedArray, type RunStore } from '../../../src-main/store';
import type { Checkpoint as TrainingCheckpoint } from '../../../src-main/training/checkpoint';
import {
  decoderWeightNames,
  modelSpecFor,
  planModel,
  weightSpecs,
  type ModelPlan,
} from '../../../src-main/training/model-spec';
import { floats, hyperparams, metrics, snapshot, tempDir } from '../store/fixtures';

// A disk that fills up mid-export: the named file gets half its bytes, then ENOSPC.
const diskFull = vi.hoisted(() => ({ at: null as string | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  const writeFile: typeof real.writeFile = async (file, data, options) => {
    if (diskFull.at !== null && typeof file === 'string' && file.endsWith(diskFull.at)) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : (data as Uint8Array);
      await real.writeFile(file, bytes.subarray(0, bytes.length >> 1), options);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
    }
    return real.writeFile(file, data, options);
  };
  return { ...real, writeFile, default: { ...real, writeFile } };
});

let tmp: ReturnType<typeof tempDir>;
let store: RunStore;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  tmp = tempDir('vae-export-');
  store = openStore({ path: join(tmp.dir, 'runs.db'), appVersion: '0.1.0' });
});
afterEach(() => {
  diskFull.at = null;
  store.close();
  tmp.cleanup();
});

const image = { height: 28, width: 28, channels: 1 };

/** Engine-shaped weights for a plan: small values so activations stay in range. */
function planWeights(plan: ModelPlan, seed: number): NamedArray[] {
  return weightSpecs(plan).map((w, i) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    return { name: w.name, shape: [...w.shape], data: floats(n, seed * 100 + i).map((v) => v * 0.4) };
  });
}

/** A run of `epochs` epochs recorded the way the run service records the engine's output. */
function trainedRun(hp: Hyperparams, epochs: number, img = image) {
  const plan = planModel(modelSpecFor(hp, img));
  const run = store.createRun({ hyperparams: hp, datasetHash: 'h', name: 'export me', status: 'running' });
  const decoderNames = new Set(decoderWeightNames(plan));
  let step = 0;
  for (let e = 1; e <= epochs; e++) {
    const weights = planWeights(plan, e);
    const checkpoint: TrainingCheckpoint = { format: 1, epoch: e, spec: plan.spec, weights, optimizer: [] };
    store.appendBatchMetrics(
      run.id,
      Array.from({ length: 5 }, () => ({
        step: ++step,
        epoch: e,
        loss: 200 - step,
        recon: 190 - step,
        kl: 10,
      })),
    );
    store.recordEpoch({
      runId: run.id,
      metrics: metrics(e),
      snapshot: snapshot(e, { side: img.height, n: 4, prior: 12, latent: 30, dim: hp.latentDim }),
      checkpoint,
      decoderWeights: weights.filter((w) => decoderNames.has(w.name)),
    });
  }
  store.setStatus({ runId: run.id, status: 'completed' });
  return { run, plan };
}

/** Loads an exported model from disk through a custom IOHandler (no file:// handler in tfjs-core). */
async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, (manifest) => {
        const bytes = readFileSync(join(dir, manifest[0]!.paths[0]!));
        const data = new Uint8Array(bytes).buffer;
        return Promise.resolve([manifest.flatMap((group) => group.weights), data]);
      }),
  };
  return tfl.loadLayersModel(handler);
}

/** x·W + b for a row vector, by hand. */
function affine(x: Float32Array, w: NamedArray, b: NamedArray): Float32Array {
  const [inputs, units] = w.shape as [number, number];
  const out = new Float32Array(units);
  for (let j = 0; j < units; j++) {
    let sum = b.data[j]!;
    for (let i = 0; i < inputs; i++) sum += x[i]! * w.data[i * units + j]!;
    out[j] = sum;
  }
  return out;
}

const relu = (v: Float32Array) => v.map((x) => Math.max(0, x));
const sigmoid = (v: Float32Array) => v.map((x) => 1 / (1 + Math.exp(-x)));

function byName(weights: NamedArray[]): (name: string) => NamedArray {
  return (name) => weights.find((w) => w.name === name)!;
}

describe('exportReport', () => {
  it('writes every file of the report folder', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8], epochs: 2 }), 2);
    const dir = join(tmp.dir, 'report');
    const result = await exportReport({ store, runId: run.id, dir });
    expect(result.dir).toBe(dir);
    expect(result.epoch).toBe(2);
    expect(result.skipped).toEqual([]);
    expect([...result.files].sort()).toEqual(
      [
        'gallery.png',
        'gallery.svg',
        'manifold.png',
        'manifold.svg',
        'prior.png',
        'prior.svg',
        'latent.png',
        'latent.svg',
        'loss.png',
        'loss.svg',
        'kl.png',
        'kl.svg',
        'report.html',
        'metrics.csv',
        'batches.csv',
        'latent.csv',
        'hyperparams.json',
        'model/decoder/model.json',
        'model/decoder/weights.bin',
        'model/encoder/model.json',
        'model/encoder/weights.bin',
      ].sort(),
    );
  });

  it('draws the gallery as 3 named rows × 10 at scale 2, nearest-neighbour, with the originals on top', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8], epochs: 1 }), 1);
    const dir = join(tmp.dir, 'report');
    await exportReport({ store, runId: run.id, dir });
    const snap: Snapshot = store.getSnapshot(run.id);
    // Layout in figure units: 8 padding, 124 for the row names, 10 tiles of 28 with gaps of 2.
    const meta = await sharp(join(dir, 'gallery.png')).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([
      (8 + 124 + 10 * 30 - 2 + 8) * 2,
      (8 + 3 * 30 - 2 + 16 + 8) * 2,
      'png',
    ]);
    const { data, info } = await sharp(join(dir, 'gallery.png'))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[y * info.width + x];
    // Pixel (r, c) of tile (row, col) covers the 2×2 block at ((132 + col·30 + c)·2, (8 + row·30 + r)·2).
    const px = (row: number, col: number, r: number, c: number) =>
      [(132 + col * 30 + c) * 2, (8 + row * 30 + r) * 2] as const;
    expect(at(...px(0, 0, 0, 0))).toBe(snap.gallery.original[0]);
    expect(at(...px(0, 3, 5, 7))).toBe(snap.gallery.original[3 * 784 + 5 * 28 + 7]);
    expect(at(...px(1, 9, 27, 27))).toBe(snap.gallery.mean[9 * 784 + 783]);
    expect(at(...px(2, 4, 10, 10))).toBe(snap.gallery.sampled[4 * 784 + 10 * 28 + 10]);
    // Nearest-neighbour: each source pixel is a 2×2 block of exactly its value.
    const [x, y] = px(2, 4, 10, 10);
    expect([at(x + 1, y), at(x, y + 1), at(x + 1, y + 1)]).toEqual([at(x, y), at(x, y), at(x, y)]);
    expect(at(0, 0)).toBe(255); // the light background

    const svg = readFileSync(join(dir, 'gallery.svg'), 'utf8');
    expect([...svg.matchAll(/<text[^>]*font-size="12"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual([
      'original',
      'generator(z_mu)',
      'sampled z',
    ]);
    const prior = await sharp(join(dir, 'prior.png')).metadata();
    // 12 samples: rows of 10 and 2, no names.
    expect([prior.width, prior.height]).toEqual([(8 + 10 * 30 - 2 + 8) * 2, (8 + 2 * 30 - 2 + 8) * 2]);
  });

  it('draws the manifold with every digit at twice its size, ticks on every cell and z [0], z [1] axis titles', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8], epochs: 1 }), 1);
    const dir = join(tmp.dir, 'report');
    await exportReport({ store, runId: run.id, dir });
    const snap: Snapshot = store.getSnapshot(run.id);
    const meta = await sharp(join(dir, 'manifold.png')).metadata();
    // Margins 52 left, 12 right, 12 top, 44 bottom around 4×28 units.
    expect([meta.width, meta.height]).toEqual([(52 + 112 + 12) * 2, (12 + 112 + 44) * 2]);
    const { data, info } = await sharp(join(dir, 'manifold.png'))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[y * info.width + x];
    // Tile (1, 2) pixel (3, 4): inside the frame line, so compare away from the edges.
    expect(at((52 + 2 * 28 + 4) * 2, (12 + 1 * 28 + 3) * 2)).toBe(
      snap.manifold.images[(1 * 4 + 2) * 784 + 3 * 28 + 4],
    );
    const svg = readFileSync(join(dir, 'manifold.svg'), 'utf8');
    const texts = (group: string) =>
      [
        ...(new RegExp(`<g class="${group}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '').matchAll(
          />([^<]+)<\/text>/g,
        ),
      ].map((m) => m[1]);
    expect(texts('x-ticks')).toEqual(['-2.0', '-0.7', '0.7', '2.0']);
    expect(texts('y-ticks')).toEqual(['2.0', '0.7', '-0.7', '-2.0']);
    expect(texts('axis-labels')).toEqual(['z [0]', 'z [1]']);
    expect(svg).toContain('image-rendering:pixelated');
  });

  it('draws the latent scatter with one legend entry per class, named by the dataset, in tab10', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8], epochs: 1 }), 1);
    const dir = join(tmp.dir, 'report');
    await exportReport({ store, runId: run.id, dir, formats: ['svg'] });
    const svg = readFileSync(join(dir, 'latent.svg'), 'utf8');
    const legend = /<g class="legend"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect([...legend.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    expect([...legend.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1])).toEqual([
      '#1f77b4',
      '#ff7f0e',
      '#2ca02c',
      '#d62728',
      '#9467bd',
      '#8c564b',
      '#e377c2',
      '#7f7f7f',
      '#bcbd22',
      '#17becf',
    ]);
    expect(existsSync(join(dir, 'latent.png'))).toBe(false);
  });

  it('writes metrics, batches and latent codes as CSV, and hyperparameters with run metadata as JSON', async () => {
    const hp = hyperparams({ hidden: [8], epochs: 3 });
    const { run } = trainedRun(hp, 3);
    store.updateRun({ runId: run.id, notes: 'for the paper', tags: ['keep'] });
    const dir = join(tmp.dir, 'report');
    await exportReport({ store, runId: run.id, dir, epoch: 2 });
    const metricsLines = readFileSync(join(dir, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    expect(metricsLines[0]).toBe(
      'epoch,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,beta,seconds,samples_per_second',
    );
    const m = metrics(2);
    expect(metricsLines[2]).toBe(
      [
        2,
        m.train.loss,
        m.train.recon,
        m.train.kl,
        m.test.loss,
        m.test.recon,
        m.test.kl,
        m.beta,
        m.seconds,
        m.samplesPerSecond,
      ].join(','),
    );
    expect(metricsLines).toHaveLength(4);

    const batchLines = readFileSync(join(dir, 'batches.csv'), 'utf8').trimEnd().split('\n');
    expect(batchLines[0]).toBe('step,epoch,loss,recon,kl');
    expect(batchLines).toHaveLength(1 + 15); // every row, not thinned
    expect(batchLines[6]).toBe('6,2,194,184,10');

    const snap = store.getSnapshot(run.id, 2);
    const latentLines = readFileSync(join(dir, 'latent.csv'), 'utf8').trimEnd().split('\n');
    expect(latentLines[0]).toBe('z_mu_0,z_mu_1,z_log_var_0,z_log_var_1,label');
    expect(latentLines).toHaveLength(1 + snap.latent.count);
    const row = latentLines[1 + 3]!.split(',').map(Number); // test image 3
    expect(Math.fround(row[0]!)).toBe(snap.latent.zMu[6]);
    expect(Math.fround(row[1]!)).toBe(snap.latent.zMu[7]);
    expect(Math.fround(row[3]!)).toBe(snap.latent.zLogVar[7]);
    expect(row[4]).toBe(snap.latent.labels[3]);

    const json = JSON.parse(readFileSync(join(dir, 'hyperparams.json'), 'utf8')) as Record<string, unknown>;
    expect(json['hyperparams']).toEqual(hp);
    expect(json['exportedEpoch']).toBe(2);
    expect(json['run']).toMatchObject({
      id: run.id,
      name: 'export me',
      notes: 'for the paper',
      tags: ['keep'],
      appVersion: '0.1.0',
      datasetHash: 'h',
      status: 'completed',
    });
    expect(json['metricsAtEpoch']).toEqual(metrics(2));
  });

  it('adds label names from the dataset row when there is one', async () => {
    store.upsertDataset({
      name: 'fashion',
      source: 'idx',
      hash: 'h',
      trainCount: 1,
      testCount: 1,
      height: 28,
      width: 28,
      channels: 1,
      labels: [
        'T-shirt',
        'Trouser',
        'Pullover',
        'Dress',
        'Coat',
        'Sandal',
        'Shirt',
        'Sneaker',
        'Bag',
        'Ankle, boot',
      ],
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    const { run } = trainedRun(hyperparams({ hidden: [8], dataset: 'fashion' }), 1);
    const dir = join(tmp.dir, 'report');
    await exportReport({ store, runId: run.id, dir });
    const lines = readFileSync(join(dir, 'latent.csv'), 'utf8').split('\n');
    expect(lines[0]).toBe('z_mu_0,z_mu_1,z_log_var_0,z_log_var_1,label,label_name');
    expect(lines[2]!.endsWith(',1,Trouser')).toBe(true);
    expect(lines[10]!.endsWith(',9,"Ankle, boot"')).toBe(true); // quoted
  });

  it('exports decoder and encoder that tf.loadLayersModel reads back and that compute what the weights say', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [16], latentDim: 3, epochs: 2 }), 2);
    const dir = join(tmp.dir, 'report');
    const before = tf.memory().numTensors;
    await exportReport({ store, runId: run.id, dir });
    expect(tf.memory().numTensors).toBe(before); // no tensor leaks in the export

    const weights = byName(store.getCheckpoint(run.id)!.weights);
    const manifest = JSON.parse(
      readFileSync(join(dir, 'model/decoder/model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    expect(manifest.format).toBe('layers-model');
    expect(manifest.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(manifest.weightsManifest[0]!.weights.map((w) => w.name)).toEqual([
      'dec_dense0/kernel',
      'dec_dense0/bias',
      'dec_output/kernel',
      'dec_output/bias',
    ]);

    const decoder = await loadModel(join(dir, 'model/decoder'));
    const z = Float32Array.of(0.5, -1, 2);
    const decoded = tf.tidy(() => (decoder.predict(tf.tensor2d(z, [1, 3])) as tf.Tensor).dataSync());
    const hidden = relu(affine(z, weights('dec/dense0/kernel'), weights('dec/dense0/bias')));
    const expected = sigmoid(affine(hidden, weights('dec/output/kernel'), weights('dec/output/bias')));
    expect(decoded).toHaveLength(784);
    for (let i = 0; i < 784; i += 37) expect(decoded[i]).toBeCloseTo(expected[i]!, 5);

    const encoder = await loadModel(join(dir, 'model/encoder'));
    const x = floats(784, 9).map((v) => v + 0.5);
    const [mu, logVar] = tf.tidy(() =>
      (encoder.predict(tf.tensor2d(x, [1, 784])) as tf.Tensor[]).map((t) => t.dataSync()),
    );
    const features = relu(affine(x, weights('enc/dense0/kernel'), weights('enc/dense0/bias')));
    const expectedMu = affine(features, weights('enc/z_mu/kernel'), weights('enc/z_mu/bias'));
    const expectedLogVar = affine(features, weights('enc/z_log_var/kernel'), weights('enc/z_log_var/bias'));
    Array.from(expectedMu).forEach((v, i) => expect(mu![i]).toBeCloseTo(v, 4));
    Array.from(expectedLogVar).forEach((v, i) => expect(logVar![i]).toBeCloseTo(v, 4));
    decoder.dispose();
    encoder.dispose();
  });

  it("exports an older epoch with that epoch's decoder and says the encoder is not available", async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8], epochs: 3 }), 3);
    const dir = join(tmp.dir, 'report');
    const result = await exportReport({ store, runId: run.id, dir, epoch: 1 });
    expect(result.epoch).toBe(1);
    expect(result.files).toContain('model/decoder/model.json');
    expect(result.files).not.toContain('model/encoder/model.json');
    expect(result.skipped).toEqual([
      expect.stringMatching(/encoder.*latest checkpoint.*epoch 3.*not epoch 1/),
    ]);
    const decoder = await loadModel(join(dir, 'model/decoder'));
    const epoch1 = byName(store.getDecoderWeights(run.id, 1).weights);
    const out = tf.tidy(() => (decoder.predict(tf.zeros([1, 2])) as tf.Tensor).dataSync());
    const expected = sigmoid(
      affine(
        relu(affine(new Float32Array(2), epoch1('dec/dense0/kernel'), epoch1('dec/dense0/bias'))),
        epoch1('dec/output/kernel'),
        epoch1('dec/output/bias'),
      ),
    );
    expect(out[100]).toBeCloseTo(expected[100]!, 5);
    decoder.dispose();
  });

  it('exports the conv architecture (dense → reshape → transposed convolutions) that decodes like the engine', async () => {
    const hp = hyperparams({ arch: 'conv', hidden: [4], epochs: 1 });
    const img = { height: 8, width: 8, channels: 1 };
    const { run, plan } = trainedRun(hp, 1, img);
    const dir = join(tmp.dir, 'report');
    const result = await exportReport({ store, runId: run.id, dir });
    expect(result.skipped).toEqual([]);
    const decoder = await loadModel(join(dir, 'model/decoder'));
    const encoder = await loadModel(join(dir, 'model/encoder'));
    // The engine's own forward pass is the reference for the layer mapping.
    const { createVae } = await import('../../../src-main/training/model');
    const vae = createVae({ spec: plan.spec, seed: 0, weights: store.getCheckpoint(run.id)!.weights });
    const z = tf.tensor2d([[0.3, -0.7]]);
    const x = tf.tensor2d(
      floats(64, 3).map((v) => v + 0.5),
      [1, 64],
    );
    const [mine, theirs, myMu, theirMu] = tf.tidy(() => [
      (decoder.predict(z) as tf.Tensor).dataSync(),
      vae.generate(z).dataSync(),
      (encoder.predict(x) as tf.Tensor[])[0]!.dataSync(),
      vae.encode(x).zMu.dataSync(),
    ]);
    expect(mine).toHaveLength(64);
    Array.from(theirs).forEach((v, i) => expect(mine[i]).toBeCloseTo(v, 5));
    Array.from(theirMu).forEach((v, i) => expect(myMu[i]).toBeCloseTo(v, 5));
    tf.dispose([z, x]);
    vae.dispose();
    decoder.dispose();
    encoder.dispose();
  });

  it('refuses a folder that cannot be created as bad input, naming the folder and what to do', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    writeFileSync(join(tmp.dir, 'not-a-folder'), 'x');
    const dir = join(tmp.dir, 'not-a-folder', 'report');
    const error = await exportReport({ store, runId: run.id, dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    // The user's choice of folder is at fault, not the machine: exit 2 on the command line.
    expect((error as StoreError).code).toBe('invalid_input');
    expect((error as StoreError).message).toContain('choose a folder you can write to.');
    expect((error as StoreError).message).toContain(dir);
    expect((error as StoreError).message).toMatch(/ENOTDIR|EEXIST/);
  });

  it('refuses a folder that is not empty, naming what it holds, and changes nothing', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const dir = join(tmp.dir, 'report');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const error = await exportReport({ store, runId: run.id, dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: 'conflict',
      message: `The report folder ${dir} is not empty (it holds notes.txt); choose a new or empty folder, or allow replacing an earlier report ("Replace an earlier report" in the app, --overwrite on the command line).`,
    });
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('with overwrite, replaces the report files and leaves other files and no staging folder behind', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const dir = join(tmp.dir, 'report');
    mkdirSync(join(dir, 'model', 'decoder'), { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'metrics.csv'), 'old');
    writeFileSync(join(dir, 'model', 'decoder', 'model.json'), 'old');
    const result = await exportReport({ store, runId: run.id, dir, overwrite: true });
    expect(result.files).toHaveLength(21);
    expect(readdirSync(dir).sort()).toEqual(
      [
        'batches.csv',
        'gallery.png',
        'gallery.svg',
        'kl.png',
        'kl.svg',
        'latent.png',
        'latent.svg',
        'loss.png',
        'loss.svg',
        'manifold.svg',
        'prior.svg',
        'report.html',
        'hyperparams.json',
        'latent.csv',
        'manifold.png',
        'metrics.csv',
        'model',
        'notes.txt',
        'prior.png',
      ].sort(),
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(dir, 'metrics.csv'), 'utf8')).toMatch(/^epoch,/);
    expect(JSON.parse(readFileSync(join(dir, 'model', 'decoder', 'model.json'), 'utf8'))).toHaveProperty(
      'modelTopology',
    );
  });

  it('never writes through a metrics.csv link planted in the folder, with or without overwrite', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const victim = join(tmp.dir, 'victim.txt');
    writeFileSync(victim, 'precious');
    const dir = join(tmp.dir, 'report');
    mkdirSync(dir);
    symlinkSync(victim, join(dir, 'metrics.csv'));
    const refused = await exportReport({ store, runId: run.id, dir }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'conflict' });
    const error = await exportReport({ store, runId: run.id, dir, overwrite: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: 'invalid_input',
      message: `metrics.csv in the report folder ${dir} is a symbolic link (it points to ${victim}); VAE Studio never writes through links. Remove the link or choose another folder.`,
    });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(dir, 'metrics.csv')).isSymbolicLink()).toBe(true);
    // All or nothing: the refusal comes before any file is moved in.
    expect(readdirSync(dir)).toEqual(['metrics.csv']);
  });

  it('never writes into a folder through a planted model link, nor into a report folder that is a link', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const elsewhere = join(tmp.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const dir = join(tmp.dir, 'report');
    mkdirSync(dir);
    symlinkSync(elsewhere, join(dir, 'model'));
    await expect(exportReport({ store, runId: run.id, dir, overwrite: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^model in the report folder .* is a symbolic link/) as unknown,
    });
    const linked = join(tmp.dir, 'linked-report');
    symlinkSync(elsewhere, linked);
    await expect(exportReport({ store, runId: run.id, dir: linked, overwrite: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: `The report folder ${linked} is a symbolic link (it points to ${elsewhere}); VAE Studio never writes through links. Remove the link or choose another folder.`,
    });
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('leaves nothing half-written when the disk fills up mid-export', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const dir = join(tmp.dir, 'report');
    diskFull.at = 'manifold.png';
    const error = await exportReport({ store, runId: run.id, dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: 'io_error',
      message: `Could not write manifold.png into the report folder ${dir}: the disk is full (ENOSPC). Nothing was left in the folder.`,
    });
    // The folder this export created goes too; one the user had stays, empty.
    expect(existsSync(dir)).toBe(false);
    mkdirSync(dir);
    diskFull.at = 'weights.bin';
    await expect(exportReport({ store, runId: run.id, dir })).rejects.toMatchObject({ code: 'io_error' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a relative folder instead of writing into the working folder', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const relative = `relative-report-${process.pid}`;
    try {
      await expect(exportReport({ store, runId: run.id, dir: relative })).rejects.toMatchObject({
        code: 'invalid_input',
        message: `The report folder must be an absolute path without NUL characters, not "${relative}".`,
      });
      expect(existsSync(join(process.cwd(), relative))).toBe(false);
    } finally {
      // Code that gets this wrong writes into the working folder: do not leave that behind.
      rmSync(join(process.cwd(), relative), { recursive: true, force: true });
    }
  });

  it('fails with not_found for an unknown run or an epoch without a snapshot', async () => {
    const { run } = trainedRun(hyperparams({ hidden: [8] }), 1);
    const dir = join(tmp.dir, 'report');
    await expect(exportReport({ store, runId: 'nope', dir })).rejects.toMatchObject({ code: 'not_found' });
    await expect(exportReport({ store, runId: run.id, dir, epoch: 7 })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('epoch 7') as unknown,
    });
  });
});
