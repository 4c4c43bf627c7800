import * as tf from '@tensorflow/tfjs-core';
// The wasm package registers its kernels when loaded: load it first, so that
// ours (some replace its own) are registered after and stay.
import '@tensorflow/tfjs-backend-wasm';
import { fastBackends } from './backend-access';
import { convKernelConfigs } from './conv';
import { allowRelaxedSimd, relaxedSimdSupported } from './gemm';
import { adamKernelConfigs } from './adam';
import { denseGradConfig, denseKernelConfigs } from './dense';
import { identityConfig } from './identity';
import { lossGradConfigs, lossKernelConfigs } from './loss-kernels';

/**
 * Our kernels for tfjs' 'wasm' (and 'cpu', so that the same code paths run
 * and are tested everywhere). registerFastKernels() is idempotent and does
 * not need the backend to be initialised: call it before checking which
 * kernels a backend has (backend.ts' missingKernels) — the wasm backend lacks
 * Conv2DBackpropFilter until it runs.
 */

let registered: tf.KernelConfig[] | null = null;
const gradConfigs: tf.GradConfig[] = [denseGradConfig, ...lossGradConfigs];
/** Built-in kernels we replaced, to put back in unregisterFastKernels(). */
const replaced: tf.KernelConfig[] = [];

function allConfigs(): { added: tf.KernelConfig[]; overrides: tf.KernelConfig[] } {
  const added: tf.KernelConfig[] = [];
  const overrides: tf.KernelConfig[] = [];
  for (const backendName of fastBackends)
    added.push(
      ...denseKernelConfigs(backendName),
      ...adamKernelConfigs(backendName),
      ...lossKernelConfigs(backendName),
    );
  // The built-in kernel, even once ours replaced it (ours fall back to it for what they do not handle).
  const builtin = (name: string): tf.KernelConfig | undefined =>
    replaced.find((c) => c.kernelName === name) ?? tf.getKernel(name, 'wasm');
  const builtins = { Conv2D: builtin('Conv2D'), Conv2DBackpropInput: builtin('Conv2DBackpropInput') };
  for (const config of convKernelConfigs((name) => builtins[name as keyof typeof builtins])) {
    // Conv2DBackpropFilter is new on wasm; the others replace the built-in ones.
    if (config.kernelName === 'Conv2DBackpropFilter') added.push(config);
    else overrides.push(config);
  }
  overrides.push(identityConfig);
  return { added, overrides };
}

export function registerFastKernels(): void {
  if (registered) return;
  const { added, overrides } = allConfigs();
  for (const config of added) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  for (const config of overrides) {
    const old = tf.getKernel(config.kernelName, config.backendName);
    if (old) {
      replaced.push(old);
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
  }
  for (const grad of gradConfigs) if (!tf.getGradient(grad.kernelName)) tf.registerGradient(grad);
  registered = [...added, ...overrides];
}

/** Removes our kernels and puts back the built-in ones (benchmarks compare both). */
export function unregisterFastKernels(): void {
  if (!registered) return;
  for (const config of registered) {
    if (tf.getKernel(config.kernelName, config.backendName))
      tf.unregisterKernel(config.kernelName, config.backendName);
  }
  for (const config of replaced.splice(0)) tf.registerKernel(config);
  for (const grad of gradConfigs) if (tf.getGradient(grad.kernelName)) tf.unregisterGradient(grad.kernelName);
  registered = null;
}

export function fastKernelsRegistered(): boolean {
  return registered !== null;
}

/**
 * Lets our gemm use fused multiply-add (WebAssembly relaxed SIMD): ~1.4–1.7×
 * faster matrix products; results differ from the unfused ones by float32
 * rounding only. Node 20 (V8 11.3) has relaxed SIMD behind a V8 flag, which
 * this sets for the whole process (node:v8 setFlagsFromString; Node 22+ has it
 * on by default). Call before the first training step. Returns whether the
 * engine accepted it (otherwise the plain SIMD kernels run).
 */
export function enableRelaxedSimd(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const v8 = require('node:v8') as { setFlagsFromString(flags: string): void };
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not Node, or flags locked: validation below decides.
  }
  allowRelaxedSimd(true);
  return relaxedSimdSupported();
}
