import { describe, expect, test } from 'vitest';
import { enableRelaxedSimd } from '../../../../src-main/training/kernels';
import {
  ensureMemory,
  instantiate,
  kernelModule,
  sharedMemory,
} from '../../../../src-main/training/kernels/wasm-module';

// The build (scripts/build-wasm.mjs) must have run: npm run build:node.
interface Probe {
  heapBase(): number;
  madd(a: number, b: number, out: number, n: number): void;
  bump(at: number): number;
}

describe('AssemblyScript kernel modules', () => {
  for (const fma of [false, true]) {
    test(`the probe module${fma ? ' with fused multiply-add' : ''} computes on a shared memory`, () => {
      if (fma) expect(enableRelaxedSimd()).toBe(true);
      const memory = sharedMemory(1);
      const probe = instantiate<Probe>(kernelModule('probe', fma), memory);
      const base = probe.heapBase();
      expect(base % 16).toBe(0);
      ensureMemory(memory, base + 3 * 32 + 4);
      const f = new Float32Array(memory.buffer, base, 24);
      f.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
      f.set([2, 2, 2, 2, 0.5, 0.5, 0.5, 0.5], 8);
      f.set([1, 1, 1, 1, 1, 1, 1, 1], 16);
      probe.madd(base, base + 32, base + 64, 8);
      expect(Array.from(f.subarray(16))).toEqual([3, 5, 7, 9, 3.5, 4, 4.5, 5]);
    });
  }

  test('two instances on one memory see each other’s atomic writes', () => {
    const memory = sharedMemory(1);
    const module = kernelModule('probe', false);
    const one = instantiate<Probe>(module, memory);
    const two = instantiate<Probe>(module, memory);
    const at = one.heapBase();
    ensureMemory(memory, at + 4);
    expect(one.bump(at)).toBe(0);
    expect(two.bump(at)).toBe(1);
    expect(new Int32Array(memory.buffer, at, 1)[0]).toBe(2);
  });
});
