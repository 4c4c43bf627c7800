import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { type WasmBackendLike } from '../../../src-main/training/kernels/backend-access';
import { enableRelaxedSimd } from '../../../src-main/training/kernels/index';
import {
  WasmKernels,
  allowRelaxedSimd,
  gemmBlock,
  wasmKernelsFor,
} from '../../../src-main/training/kernels/wasm-kernels';
import { expectClose, randomArray, use } from './helpers';

/** C = op(A)·op(B) (+ C0) in float64, the reference. */
function naive(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  c0?: Float32Array,
): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j]! : 0;
      for (let l = 0; l < k; l++)
        s += (transA ? a[l * m + i]! : a[i * k + l]!) * (transB ? b[j * k + l]! : b[l * n + j]!);
      out[i * n + j] = s;
    }
  }
  return out;
}

describe('SIMD gemm on the wasm heap', () => {
  beforeAll(async () => {
    await use('wasm');
  });

  const dims: Array<[number, number, number]> = [
    [64, 784, 256],
    [784, 64, 256],
    [64, 256, 784],
    [6, 5, 8],
    [5, 7, 9],
    [1, 1, 1],
    [13, 3, 2],
    [4, 33, 17],
  ];
  for (const [m, k, n] of dims) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          test(`${m}×${k}×${n} transA=${transA} transB=${transB} accumulate=${accumulate}`, () => {
            const be = tf.backend() as unknown as WasmBackendLike;
            const a = tf.tensor1d(randomArray(m * k, m + k));
            const b = tf.tensor1d(randomArray(k * n, k + n));
            const c0 = randomArray(m * n, 5);
            const c = tf.tensor1d(c0);
            const ptr = (t: tf.Tensor) => be.dataIdMap.get(t.dataId)!.memoryOffset;
            wasmKernelsFor(be.wasm).gemm({
              a: ptr(a),
              b: ptr(b),
              c: ptr(c),
              m,
              k,
              n,
              transA,
              transB,
              accumulate,
            });
            const expected = naive(
              a.dataSync() as Float32Array,
              b.dataSync() as Float32Array,
              m,
              k,
              n,
              transA,
              transB,
              accumulate ? c0 : undefined,
            );
            expectClose(c.dataSync(), expected, 'C');
            tf.dispose([a, b, c]);
          });
        }
      }
    }
  }

  test('blocks of rows and depth with remainders give the same products', () => {
    const saved = { ...gemmBlock };
    // Blocks that do not divide the sizes: 3 row blocks (8, 8, 4) and 3 depth blocks (16, 16, 5).
    Object.assign(gemmBlock, { rows: 8, depth: 16 });
    try {
      const be = tf.backend() as unknown as WasmBackendLike;
      const ptr = (t: tf.Tensor) => be.dataIdMap.get(t.dataId)!.memoryOffset;
      for (const [m, k, n] of [
        [20, 37, 16],
        [20, 37, 13],
      ] as const) {
        for (const transA of [false, true]) {
          for (const accumulate of [false, true]) {
            const a = tf.tensor1d(randomArray(m * k, 11));
            const b = tf.tensor1d(randomArray(k * n, 12));
            const c0 = randomArray(m * n, 13);
            const c = tf.tensor1d(c0);
            wasmKernelsFor(be.wasm).gemm({
              a: ptr(a),
              b: ptr(b),
              c: ptr(c),
              m,
              k,
              n,
              transA,
              transB: false,
              accumulate,
            });
            const expected = naive(
              a.dataSync() as Float32Array,
              b.dataSync() as Float32Array,
              m,
              k,
              n,
              transA,
              false,
              accumulate ? c0 : undefined,
            );
            expectClose(c.dataSync(), expected, `C ${m}×${k}×${n} transA=${transA} accumulate=${accumulate}`);
            tf.dispose([a, b, c]);
          }
        }
      }
    } finally {
      Object.assign(gemmBlock, saved);
    }
  });

  // The backend runs the relaxed-SIMD (FMA) module where the engine has it
  // (backend.ts); each variant is built here explicitly.
  for (const variant of ['plain SIMD', 'relaxed-SIMD (FMA)'] as const) {
    test(`the ${variant} module computes the same products`, () => {
      const wantFma = variant !== 'plain SIMD';
      const supported = enableRelaxedSimd();
      allowRelaxedSimd(wantFma);
      try {
        const be = tf.backend() as unknown as WasmBackendLike;
        const kernels = new WasmKernels(be.wasm);
        expect(kernels.fma).toBe(wantFma && supported);
        const ptr = (t: tf.Tensor) => be.dataIdMap.get(t.dataId)!.memoryOffset;
        for (const [m, k, n] of [
          [64, 784, 256],
          [5, 7, 9],
        ] as const) {
          for (const transA of [false, true]) {
            const a = tf.tensor1d(randomArray(m * k, 3));
            const b = tf.tensor1d(randomArray(k * n, 4));
            const c = tf.zeros([m * n]);
            kernels.gemm({
              a: ptr(a),
              b: ptr(b),
              c: ptr(c),
              m,
              k,
              n,
              transA,
              transB: !transA,
              accumulate: false,
            });
            const expected = naive(
              a.dataSync() as Float32Array,
              b.dataSync() as Float32Array,
              m,
              k,
              n,
              transA,
              !transA,
            );
            expectClose(c.dataSync(), expected, `C (${variant})`);
            tf.dispose([a, b, c]);
          }
        }
      } finally {
        allowRelaxedSimd(true);
      }
    });
  }
});
