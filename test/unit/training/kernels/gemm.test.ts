import { describe, expect, test } from 'vitest';
import { enableRelaxedSimd } from '../../../../src-main/training/kernels';
import {
  ensureMemory,
  instantiate,
  kernelModule,
  sharedMemory,
} from '../../../../src-main/training/kernels/wasm-module';
import { randomArray } from '../../ops/helpers';

// wasm/gemm.ts (built by npm run build:node) against a float64 reference.
interface Gemm {
  heapBase(): number;
  scratchBytes(): number;
  gemm(...args: number[]): void;
}

interface Case {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
}

/** Sizes that are not multiples of the kernel's 4 rows, 8 columns or 256-deep blocks, and edge cases. */
const sizes: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [5, 3, 9],
  [13, 300, 17],
  [6, 257, 23],
  [33, 17, 70],
  [70, 513, 6],
  [9, 1000, 33],
  [4, 0, 8],
];
const cases: Case[] = sizes.flatMap(([m, k, n]) =>
  [false, true].flatMap((transA) =>
    [false, true].flatMap((transB) =>
      [false, true].map((accumulate) => ({ m, k, n, transA, transB, accumulate })),
    ),
  ),
);

function setup(fma: boolean, threads: number) {
  const memory = sharedMemory(1 << 20);
  const module = kernelModule('gemm', fma);
  const instances = Array.from({ length: threads }, () => instantiate<Gemm>(module, memory));
  const first = instances[0]!;
  const scratch = (first.heapBase() + 15) & ~15;
  const base = scratch + threads * first.scratchBytes();
  return { memory, instances, scratch, base };
}

/** C (+)= op(A)·op(B) through the module, `threads` shares run one after the other. */
function wasmGemm(
  c: Case,
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  fma: boolean,
  threads: number,
) {
  const { memory, instances, scratch, base } = setup(fma, threads);
  const pa = base;
  const pb = pa + a.length * 4;
  const pc = pb + b.length * 4;
  ensureMemory(memory, pc + c0.length * 4);
  const f = new Float32Array(memory.buffer);
  f.set(a, pa >> 2);
  f.set(b, pb >> 2);
  f.set(c0, pc >> 2);
  const { m, k, n } = c;
  const rsA = c.transA ? 4 : k * 4;
  const csA = c.transA ? m * 4 : 4;
  const rsB = c.transB ? 4 : n * 4;
  const csB = c.transB ? k * 4 : 4;
  for (let t = 0; t < threads; t++)
    instances[t]!.gemm(
      pa,
      rsA,
      csA,
      pb,
      rsB,
      csB,
      pc,
      n * 4,
      m,
      k,
      n,
      c.accumulate ? 1 : 0,
      scratch,
      t,
      threads,
    );
  return new Float32Array(memory.buffer, pc, m * n).slice();
}

function reference(c: Case, a: Float32Array, b: Float32Array, c0: Float32Array): Float64Array {
  const { m, k, n } = c;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c.accumulate ? c0[i * n + j]! : 0;
      for (let p = 0; p < k; p++) {
        const av = c.transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = c.transB ? b[j * k + p]! : b[p * n + j]!;
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

const label = (c: Case) =>
  `m ${c.m} k ${c.k} n ${c.n}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''}${c.accumulate ? ' C +=' : ''}`;

describe('the AssemblyScript gemm', () => {
  for (const fma of [false, true]) {
    test(`matches a float64 reference${fma ? ' (fused multiply-add)' : ''}`, () => {
      if (fma) expect(enableRelaxedSimd()).toBe(true);
      for (const [index, c] of cases.entries()) {
        const a = randomArray(c.m * c.k, 3 * index + 1);
        const b = randomArray(c.k * c.n, 3 * index + 2);
        const c0 = randomArray(c.m * c.n, 3 * index + 3);
        const actual = wasmGemm(c, a, b, c0, fma, 1);
        const expected = reference(c, a, b, c0);
        // Each result is a sum of k products in [-1, 1] (+ C): float32 rounding grows with k.
        const tol = 1e-6 * (c.k + 2);
        for (let i = 0; i < expected.length; i++) {
          const d = Math.abs(actual[i]! - expected[i]!);
          if (!(d <= tol))
            throw new Error(`${label(c)}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
        }
      }
    });
  }

  test('gives the same bits split between 2, 3 or 5 threads as on one', () => {
    for (const [index, c] of cases.entries()) {
      const a = randomArray(c.m * c.k, 5 * index + 1);
      const b = randomArray(c.k * c.n, 5 * index + 2);
      const c0 = randomArray(c.m * c.n, 5 * index + 3);
      const one = wasmGemm(c, a, b, c0, false, 1);
      for (const threads of [2, 3, 5]) {
        const many = wasmGemm(c, a, b, c0, false, threads);
        expect(
          Buffer.from(many.buffer).equals(Buffer.from(one.buffer)),
          `${label(c)}, ${threads} threads`,
        ).toBe(true);
      }
    }
  });
});
