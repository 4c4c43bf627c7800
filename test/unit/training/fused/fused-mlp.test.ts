import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { mulberry32 } from '../../../../src-main/datasets/random';
import { initBackend } from '../../../../src-main/training/backend';
import '../../../../src-main/training/gradients';
import type { NamedArray } from '../../../../src-main/training/checkpoint';
import { FusedMlp, fusedUnsupported, mostlyZeros } from '../../../../src-main/training/fused/fused-mlp';
import { vaeLoss } from '../../../../src-main/training/loss';
import { type ModelSpec } from '../../../../src-main/training/model-spec';
import { createVae } from '../../../../src-main/training/model';
import { createAdam } from '../../../../src-main/training/ops';
import { fillNormal, seededRandom } from '../../../../src-main/training/rng';
import { trainStep } from '../../../../src-main/training/step';

// The fused step (wasm/fused-mlp.ts) against the tfjs graph it replaces
// (step.ts on the wasm backend with our kernels): same losses, gradients and
// Adam state to float tolerance (the products sum in other orders), for the
// shapes the padding and blocking must get right.

let fma = false;
beforeAll(async () => {
  fma = (await initBackend({ choice: 'wasm', arch: 'mlp' })).device.includes('fused multiply-add');
});

/** `rows` images of `pixels` floats, about 80% exact zeros (as MNIST), the rest v/255. */
function sparseBatch(rows: number, pixels: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(rows * pixels);
  for (let i = 0; i < out.length; i++) out[i] = random() < 0.8 ? 0 : Math.floor(random() * 256) / 255;
  return out;
}

interface Config {
  name: string;
  spec: ModelSpec;
  batch: number;
}

const image = (height: number, width: number, channels = 1) => ({ height, width, channels });
const configs: Config[] = [
  {
    name: 'reference 784-256-2, batch 64',
    spec: { arch: 'mlp', image: image(28, 28), latentDim: 2, hidden: [256] },
    batch: 64,
  },
  {
    name: '35 pixels, hidden [30, 13], latent 1, batch 1',
    spec: { arch: 'mlp', image: image(5, 7), latentDim: 1, hidden: [30, 13] },
    batch: 1,
  },
  {
    name: '784 pixels, hidden [20], latent 64, batch 7',
    spec: { arch: 'mlp', image: image(28, 28), latentDim: 64, hidden: [20] },
    batch: 7,
  },
  {
    name: '6×6×3 pixels, hidden [12, 9, 5], latent 3, batch 5',
    spec: { arch: 'mlp', image: image(6, 6, 3), latentDim: 3, hidden: [12, 9, 5] },
    batch: 5,
  },
];

const pixelsOf = (spec: ModelSpec) => spec.image.height * spec.image.width * spec.image.channels;

function fusedFor(args: {
  spec: ModelSpec;
  batch: number;
  weights: NamedArray[];
  sparse?: boolean;
  fma?: boolean;
}): Promise<FusedMlp> {
  return FusedMlp.create({
    spec: args.spec,
    batchSize: args.batch,
    weights: args.weights,
    learningRate: 1e-3,
    epsilon: tf.backend().epsilon(),
    fma: args.fma ?? fma,
    sparse: args.sparse ?? true,
  });
}

/** max |a − b| ≤ tol·max(1, max |b|) for every pair of same-named arrays. */
function expectClose(actual: readonly NamedArray[], expected: readonly NamedArray[], tol: number): void {
  expect(actual.map((a) => a.name)).toEqual(expected.map((e) => e.name));
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(a.shape).toEqual(e.shape);
    let scale = 1;
    let worst = 0;
    for (let j = 0; j < e.data.length; j++) {
      scale = Math.max(scale, Math.abs(e.data[j]!));
      worst = Math.max(worst, Math.abs(a.data[j]! - e.data[j]!));
    }
    expect(worst / scale, a.name).toBeLessThanOrEqual(tol);
  });
}

/** Names and a hash of every array's bytes: bit-for-bit comparison without walking floats one by one. */
function bits(arrays: readonly NamedArray[]): string[] {
  return arrays.map(
    (a) =>
      `${a.name} [${a.shape.join(',')}] ` +
      createHash('sha256')
        .update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))
        .digest('hex'),
  );
}

describe('the fused MLP step', () => {
  for (const config of configs) {
    test(`matches the tfjs graph over 200 steps: ${config.name}`, async () => {
      const { spec, batch } = config;
      const pixels = pixelsOf(spec);
      const vae = createVae({ spec, seed: 7 });
      const optimizer = createAdam(1e-3);
      const variables = vae.trainableVariables();
      const fused = await fusedFor({ spec, batch, weights: await vae.readWeights() });
      // Counted after the first step, which creates Adam's moments.
      let afterFirst = 0;
      const eps = new Float32Array(batch * spec.latentDim);
      for (let s = 0; s < 200; s++) {
        const xs = sparseBatch(batch, pixels, 100 + (s % 16));
        fillNormal(eps, seededRandom(5, s));
        const x = tf.tensor2d(xs, [batch, pixels]);
        const epsilon = tf.tensor2d(eps, [batch, spec.latentDim]);
        const beta = s < 100 ? 1 : 0.25;
        if (s === 0 || s === 199) {
          // Gradients at the same weights: the fused step's against tfjs' (before either steps).
          vae.assignWeights(fused.readWeights());
          const { value, grads } = tf.variableGrads(() => {
            const { zMu, zLogVar } = vae.encode(x);
            const z = vae.reparameterize({ zMu, zLogVar, epsilon });
            return vaeLoss({ x, logits: vae.decodeLogits(z), zMu, zLogVar, beta }).loss;
          }, variables);
          const expected = await Promise.all(
            vae.weightNames().map(async (name, i) => {
              const g = grads[variables[i]!.name]!;
              return { name, shape: [...g.shape], data: (await g.data()) as Float32Array };
            }),
          );
          tf.dispose([value, ...Object.values(grads)]);
          fused.inputView(batch).set(xs);
          const terms = fused.step({ rows: batch, eps, beta });
          expectClose(fused.readGradients(), expected, 2e-4);
          const reference = trainStep({ vae, optimizer, variables, x, epsilon, beta });
          // Adam's moments after the same gradients (at step 200 their history differs a little).
          const [iterations, ...moments] = await optimizer.getWeights();
          iterations!.tensor.dispose();
          const expectedMoments = await Promise.all(
            moments.map(async (m, i) => ({
              name: `${vae.weightNames()[i % variables.length]!}/${i < variables.length ? 'm' : 'v'}`,
              shape: [...m.tensor.shape],
              data: (await m.tensor.data()) as Float32Array,
            })),
          );
          const fusedMoments = fused
            .readOptimizer()
            .filter((e) => e.name.endsWith('/m') || e.name.endsWith('/v'));
          expectClose(fusedMoments, expectedMoments, s === 0 ? 1e-5 : 1e-3);
          if (s === 0) {
            expectClose(fused.readWeights(), await vae.readWeights(), 1e-4);
            expect(terms.loss).toBeCloseTo(reference.loss, 3);
            expect(terms.recon).toBeCloseTo(reference.recon, 3);
            expect(terms.kl).toBeCloseTo(reference.kl, 4);
          }
        } else {
          fused.inputView(batch).set(xs);
          const terms = fused.step({ rows: batch, eps, beta });
          const reference = trainStep({ vae, optimizer, variables, x, epsilon, beta });
          expect(Math.abs(terms.loss - reference.loss) / Math.abs(reference.loss)).toBeLessThan(1e-3);
        }
        x.dispose();
        epsilon.dispose();
        if (s === 0) afterFirst = tf.memory().numTensors;
      }
      expect(tf.memory().numTensors).toBe(afterFirst);
      await fused.close();
      optimizer.dispose();
      vae.dispose();
    });
  }

  test('skipping the input’s zeros gives the dense product’s bits', async () => {
    for (const config of configs) {
      const { spec, batch } = config;
      const vae = createVae({ spec, seed: 3 });
      const weights = await vae.readWeights();
      vae.dispose();
      const runs = [];
      for (const sparse of [true, false]) {
        const fused = await fusedFor({ spec, batch, weights, sparse });
        const eps = new Float32Array(batch * spec.latentDim);
        const losses: number[] = [];
        for (let s = 0; s < 20; s++) {
          fused.inputView(batch).set(sparseBatch(batch, pixelsOf(spec), s));
          fillNormal(eps, seededRandom(9, s));
          losses.push(fused.step({ rows: batch, eps, beta: 1 }).loss);
        }
        runs.push({ losses, weights: fused.readWeights(), optimizer: fused.readOptimizer() });
        await fused.close();
      }
      expect(runs[0]!.losses).toEqual(runs[1]!.losses);
      expect(bits(runs[0]!.weights)).toEqual(bits(runs[1]!.weights));
      expect(bits(runs[0]!.optimizer)).toEqual(bits(runs[1]!.optimizer));
    }
  });

  test('two and three threads give one thread’s bits', async () => {
    for (const config of configs) {
      const { spec, batch } = config;
      const vae = createVae({ spec, seed: 5 });
      const weights = await vae.readWeights();
      vae.dispose();
      const runs = [];
      for (const threads of [1, 2, 3]) {
        const fused = await FusedMlp.create({
          spec,
          batchSize: batch,
          evalBatchSize: 2 * batch + 1,
          weights,
          learningRate: 1e-3,
          epsilon: tf.backend().epsilon(),
          fma,
          sparse: true,
          threads,
        });
        try {
          const eps = new Float32Array((2 * batch + 1) * spec.latentDim);
          const losses: number[] = [];
          for (let s = 0; s < 10; s++) {
            fused.inputView(batch).set(sparseBatch(batch, pixelsOf(spec), s));
            fillNormal(eps, seededRandom(9, s));
            losses.push(
              fused.step({ rows: batch, eps: eps.subarray(0, batch * spec.latentDim), beta: 1 }).loss,
            );
          }
          fused.inputView(2 * batch + 1).set(sparseBatch(2 * batch + 1, pixelsOf(spec), 99));
          const zMu = new Float32Array((2 * batch + 1) * spec.latentDim);
          const evaluated = fused.evaluate({ rows: 2 * batch + 1, eps, zMu });
          runs.push({
            losses,
            evaluated,
            zMu: bits([{ name: 'zMu', shape: [], data: zMu }]),
            weights: bits(fused.readWeights()),
            optimizer: bits(fused.readOptimizer()),
          });
        } finally {
          await fused.close();
        }
      }
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
    }
  });

  test('weights and Adam state round-trip through the checkpoint layout', async () => {
    const { spec, batch } = configs[3]!;
    const vae = createVae({ spec, seed: 4 });
    const a = await fusedFor({ spec, batch, weights: await vae.readWeights() });
    vae.dispose();
    const eps = new Float32Array(batch * spec.latentDim);
    const stepOn = (f: FusedMlp, s: number) => {
      f.inputView(batch).set(sparseBatch(batch, pixelsOf(spec), s));
      fillNormal(eps, seededRandom(1, s));
      return f.step({ rows: batch, eps, beta: 1 }).loss;
    };
    for (let s = 0; s < 10; s++) stepOn(a, s);
    const b = await fusedFor({ spec, batch, weights: a.readWeights() });
    b.setOptimizer(a.readOptimizer());
    const next = [10, 11, 12].map((s) => [stepOn(a, s), stepOn(b, s)]);
    for (const [x, y] of next) expect(y).toBe(x);
    expect(bits(b.readOptimizer())).toEqual(bits(a.readOptimizer()));
    await Promise.all([a.close(), b.close()]);
  });

  test('says which models it leaves to the tfjs graph', () => {
    const mnist = { arch: 'mlp' as const, image: image(28, 28), latentDim: 2, hidden: [256] };
    expect(fusedUnsupported(mnist, 500)).toBeNull();
    expect(fusedUnsupported({ ...mnist, arch: 'conv', hidden: [16] })).toMatch(/conv architecture/);
    expect(fusedUnsupported({ ...mnist, image: image(512, 512, 3) }, 500)).toMatch(/exceed 1 GiB/);
  });

  test('mostlyZeros tells MNIST-like data from dense data', () => {
    expect(mostlyZeros(new Uint8Array([0, 0, 0, 9]))).toBe(true);
    expect(mostlyZeros(new Uint8Array([1, 0, 2, 9]))).toBe(false);
  });
});
