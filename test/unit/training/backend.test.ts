import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { TrainingError } from '../../../src-main/training/errors';
import { initBackend, missingKernels, probeBackends } from '../../../src-main/training/backend';

// The native packages may be installed without their binding (their install downloads libtensorflow).
const nativeAvailable = probeBackends()[0]?.available === true;

describe('probeBackends', () => {
  test('lists tensorflow, wasm, cpu in order of preference, from files only', () => {
    const infos = probeBackends();
    expect(infos.map((b) => b.name)).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(infos.find((b) => b.name === 'wasm')?.available).toBe(true);
    expect(infos.find((b) => b.name === 'cpu')?.available).toBe(true);
    if (!nativeAvailable) {
      expect(infos[0]).toMatchObject({ available: false });
      expect(infos[0]?.detail).toMatch(/Not installed|native binding is missing/);
    }
    // Nothing was loaded: no tensorflow backend got registered by probing.
    expect(tf.findBackendFactory('tensorflow')).toBeNull();
  });
});

describe('initBackend', () => {
  test.skipIf(nativeAvailable)('auto falls back to wasm (SIMD) for mlp and says why', async () => {
    const active = await initBackend({ choice: 'auto', arch: 'mlp' });
    expect(active.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(active.device).toMatch(/^CPU \(WebAssembly/);
    expect(active.notes.join(' ')).toMatch(/tensorflow: .*(not installed|without its native binding)/);
  });

  test.skipIf(nativeAvailable)('auto picks a backend that can train conv', async () => {
    const active = await initBackend({ choice: 'auto', arch: 'conv' });
    expect(missingKernels({ arch: 'conv', backend: active.name })).toEqual([]);
    if (active.name === 'cpu')
      expect(active.notes.join(' ')).toMatch(
        /wasm: cannot train the conv architecture.*Conv2DBackpropFilter/,
      );
  });

  test.skipIf(nativeAvailable)(
    'a forced backend that is not there is an unavailable error, not a fallback',
    async () => {
      const error = await initBackend({ choice: 'tensorflow', arch: 'mlp' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrainingError);
      expect((error as TrainingError).code).toBe('unavailable');
      expect((error as TrainingError).message).toMatch(/tensorflow backend is not available.*tfjs-node/);
    },
  );

  test('forced cpu', async () => {
    const active = await initBackend({ choice: 'cpu', arch: 'conv' });
    expect(active).toMatchObject({ name: 'cpu', device: 'CPU (plain JavaScript)', notes: [] });
  });
});
