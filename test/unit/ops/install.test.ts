import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
// Everything the training worker imports: none of it may register a kernel.
import '../../../src-main/training/loop';
import '../../../src-main/training/model';
import '../../../src-main/training/backend';
import { installKernels, uninstallKernels } from '../../../src-main/training/kernels/index';

const ours = ['VaeDense', 'VaeAdam', 'VaeBce', 'VaeKl', 'VaeReparam'];

describe('installKernels', () => {
  test('importing the engine registers none of our kernels', () => {
    for (const backend of ['wasm', 'cpu'])
      for (const name of ours) expect(tf.getKernel(name, backend), `${name} on ${backend}`).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
  });

  test('installs per backend: the wasm-only kernels on wasm only, nothing for other backends', () => {
    const builtinCpuConv = tf.getKernel('Conv2D', 'cpu');
    const builtinWasmConv = tf.getKernel('Conv2D', 'wasm');
    expect(installKernels('tensorflow')).toBe(false);
    expect(installKernels('cpu')).toBe(true);
    for (const name of ours) expect(tf.getKernel(name, 'cpu')).toBeDefined();
    expect(tf.getKernel('VaeDense', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2D', 'cpu')).toBe(builtinCpuConv);

    expect(installKernels('wasm')).toBe(true);
    expect(installKernels('wasm')).toBe(true);
    for (const name of ours) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2D', 'wasm')).not.toBe(builtinWasmConv);
    expect(tf.getGradient('VaeDense')).toBeDefined();

    uninstallKernels('wasm');
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(builtinWasmConv);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('VaeDense', 'wasm')).toBeUndefined();
    // cpu keeps its own, and the gradients that go with them.
    expect(tf.getKernel('VaeDense', 'cpu')).toBeDefined();
    expect(tf.getGradient('VaeDense')).toBeDefined();
    uninstallKernels('cpu');
    expect(tf.getGradient('VaeDense')).toBeUndefined();
  });
});
