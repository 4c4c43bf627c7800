import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { FusedAdamOptimizer, createAdam } from '../../../src-main/training/ops';
import { type BackendUnderTest, backendsUnderTest, expectClose, randomArray, use } from './helpers';

// Sizes: the reference model's big weights, a bias, and sizes not a multiple of 4
// (the wasm kernel does 4 floats at a time and the rest in JS).
const shapes: number[][] = [[784, 256], [256], [2], [7, 3], [1]];

describe.each(backendsUnderTest)('fused Adam on %s', (backend: BackendUnderTest) => {
  beforeAll(async () => {
    await use(backend);
  });

  test('createAdam gives the fused optimizer', () => {
    const opt = createAdam(1e-3);
    expect(opt).toBeInstanceOf(FusedAdamOptimizer);
    opt.dispose();
  });

  test('same weights and state as tf.train.adam after several steps', async () => {
    const lr = 0.01;
    const plain = tf.train.adam(lr);
    const fused = createAdam(lr);
    const a = shapes.map((shape, i) => tf.variable(tf.tensor(randomArray(sizeOf(shape), 100 + i), shape)));
    const b = shapes.map((shape, i) => tf.variable(tf.tensor(randomArray(sizeOf(shape), 100 + i), shape)));
    for (let step = 0; step < 6; step++) {
      const grads = shapes.map((shape, i) => tf.tensor(randomArray(sizeOf(shape), 1000 * step + i), shape));
      plain.applyGradients(a.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      // Also the map form of applyGradients.
      fused.applyGradients(Object.fromEntries(b.map((v, i) => [v.name, grads[i]!])));
      tf.dispose(grads);
    }
    a.forEach((v, i) =>
      expectClose(b[i]!.dataSync(), v.dataSync(), `weights ${shapes[i]!.join('×')}`, 1e-6, 1e-7),
    );
    const [sa, sb] = [await plain.getWeights(), await fused.getWeights()];
    expect(sb.length).toBe(sa.length);
    sa.forEach((w, i) => {
      expect(sb[i]!.name.replace(/^\d+/, '')).toBe(w.name.replace(/^\d+/, ''));
      expectClose(sb[i]!.tensor.dataSync(), w.tensor.dataSync(), `state ${w.name}`, 1e-6, 1e-9);
    });
    plain.dispose();
    fused.dispose();
    tf.dispose([...a, ...b]);
  });

  test("flushes the moments' subnormal floats to 0, and only those", async () => {
    // 9 floats: 8 in the wasm kernel's groups of 4, the last one in JS.
    const opt = createAdam(0.01);
    const w = tf.variable(tf.zeros([9]));
    const g1 = tf.tensor1d([1.3e-38, -1.3e-38, 1, 0, 1.3e-38, 2e-38, 1e-3, 0, 1.3e-38]);
    opt.applyGradients({ [w.name]: g1 });
    // Step 2 with no gradient: m = 0.9·m; 0.9 × 0.1 × 1.3e-38 is subnormal, 0.9 × 0.1 × 1 is not.
    const g2 = tf.zeros([9]);
    opt.applyGradients({ [w.name]: g2 });
    const [, m, v] = await opt.getWeights();
    const first = Array.from(m!.tensor.dataSync());
    expect(first.map((x) => x === 0)).toEqual([true, true, false, true, true, true, false, true, true]);
    expect(first[2]).toBeCloseTo(0.09, 7);
    // v = 0.999·0.001·g²: subnormal for every g ≤ 2e-38, never for g = 1 or 1e-3.
    expect(Array.from(v!.tensor.dataSync()).map((x) => x === 0)).toEqual([
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
      true,
    ]);
    opt.dispose();
    tf.dispose([w, g1, g2]);
  });

  test('minimize works and leaks nothing', () => {
    const opt = createAdam(0.1);
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    opt.minimize(() => tf.sum<tf.Scalar>(tf.square(w)));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) opt.minimize(() => tf.sum<tf.Scalar>(tf.square(w)));
    expect(tf.memory().numTensors).toBe(before);
    const after = Array.from(w.dataSync());
    after.forEach((v) => expect(Math.abs(v)).toBeLessThan(1));
    opt.dispose();
    w.dispose();
  });
});

function sizeOf(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}
