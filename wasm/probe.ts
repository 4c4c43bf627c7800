// The smallest module the build and the loader are tested with: proves that
// SIMD, shared memory and the relaxed-SIMD variant compile and instantiate.

export function heapBase(): usize {
  return __heap_base;
}

/** out[i] = a[i] * b[i] + out[i] for n floats (n a multiple of 4). */
export function madd(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    const va = v128.load(a + o);
    const vb = v128.load(b + o);
    const vc = v128.load(out + o);
    let r: v128;
    if (ASC_FEATURE_RELAXED_SIMD) r = f32x4.relaxed_madd(va, vb, vc);
    else r = f32x4.add(f32x4.mul(va, vb), vc);
    v128.store(out + o, r);
  }
}

/** Adds 1 to the i32 at `at` atomically and returns the old value (threads test). */
export function bump(at: usize): i32 {
  return atomic.add<i32>(at, 1);
}
