// Gradients of the built-in ops (tfjs-core's Node build registers none).
import '../../../src-main/training/gradients';
import { initBackend } from '../../../src-main/training/backend';

export type BackendUnderTest = 'cpu' | 'wasm';
export const backendsUnderTest: BackendUnderTest[] = ['cpu', 'wasm'];

/** Sets the backend as the training worker does, our kernels installed. */
export async function use(backend: BackendUnderTest): Promise<void> {
  await initBackend({ choice: backend, arch: 'conv' });
}

/** Deterministic values in [-1, 1) (mulberry32), independent of the backend. */
export function randomArray(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/**
 * Float32 agreement: |a − b| ≤ atol + rtol·max|b| elementwise, where the scale
 * is the largest magnitude of the reference (sums of many products differ by
 * rounding in proportion to their terms, not to each result).
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol = 2e-5,
  atol = 1e-6,
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  const tol = atol + rtol * scale;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol)) {
      throw new Error(
        `${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d} > ${tol})`,
      );
    }
  }
}
