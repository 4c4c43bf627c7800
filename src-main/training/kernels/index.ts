import * as tf from '@tensorflow/tfjs-core';
// Ours replace some of the wasm package's kernels, which it registers when it
// loads: it must be loaded before installKernels('wasm') looks them up.
import '@tensorflow/tfjs-backend-wasm';
import { type FastBackend, fastBackends } from './backend-access';
import { convKernelConfigs } from './conv';
import { adamKernelConfigs } from './adam';
import { denseGradConfig, denseKernelConfigs, reluGradConfig } from './dense';
import { identityConfig } from './identity';
import { lossGradConfigs, lossKernelConfigs } from './loss-kernels';
import { allowRelaxedSimd, relaxedSimdSupported } from './wasm-kernels';

/**
 * Our kernels, installed per backend by whoever chooses the backend
 * (backend.ts), never as a side effect of importing a module. 'wasm' gets the
 * whole set (dense, Adam, loss terms, and its own convolutions and Identity on
 * our wasm module); 'cpu' the backend-neutral ones in plain TypeScript, so the
 * same code paths run and are tested everywhere; other backends none.
 */

interface Installed {
  configs: tf.KernelConfig[];
  /** Built-in kernels ours replaced, put back by uninstallKernels(). */
  replaced: tf.KernelConfig[];
}

const installed = new Map<FastBackend, Installed>();
/** Gradients of our kernels: global in tfjs (not per backend), registered with the first install. */
const gradConfigs: tf.GradConfig[] = [denseGradConfig, ...lossGradConfigs];
/** Gradients of tfjs' own ops that ours replace, and tfjs' ones, put back by uninstallKernels(). */
const gradOverrides: tf.GradConfig[] = [reluGradConfig];
let replacedGrads: tf.GradConfig[] = [];

function isFastBackend(name: string): name is FastBackend {
  return (fastBackends as readonly string[]).includes(name);
}

/** Kernels new to the backend, and kernels that replace built-in ones. */
function configsFor(backend: FastBackend): { added: tf.KernelConfig[]; overrides: tf.KernelConfig[] } {
  const added = [
    ...denseKernelConfigs(backend),
    ...adamKernelConfigs(backend),
    ...lossKernelConfigs(backend),
  ];
  if (backend !== 'wasm') return { added, overrides: [] };
  const overrides: tf.KernelConfig[] = [identityConfig];
  // Our convolutions (and Sum, Add) fall back to the built-in ones for what they do not handle (NCHW, dilation).
  const builtins = new Map(
    ['Conv2D', 'Conv2DBackpropInput', 'Sum', 'Add'].map(
      (name) => [name, tf.getKernel(name, 'wasm')] as const,
    ),
  );
  for (const config of convKernelConfigs((name) => builtins.get(name))) {
    // wasm 4.22 has no Conv2DBackpropFilter; the other two replace its own.
    if (builtins.get(config.kernelName)) overrides.push(config);
    else added.push(config);
  }
  return { added, overrides };
}

/**
 * Registers our kernels for `backend` (and the gradients of our ops) and says
 * whether it has any. Idempotent. Call it before tf.setBackend(backend): tfjs
 * runs the kernels' setup functions when a backend is set.
 */
export function installKernels(backend: string): boolean {
  if (!isFastBackend(backend)) return false;
  if (installed.has(backend)) return true;
  const { added, overrides } = configsFor(backend);
  const replaced: tf.KernelConfig[] = [];
  for (const config of added) {
    if (!tf.getKernel(config.kernelName, backend)) tf.registerKernel(config);
  }
  for (const config of overrides) {
    const old = tf.getKernel(config.kernelName, backend);
    if (old) {
      replaced.push(old);
      tf.unregisterKernel(config.kernelName, backend);
    }
    tf.registerKernel(config);
  }
  for (const grad of gradConfigs) if (!tf.getGradient(grad.kernelName)) tf.registerGradient(grad);
  for (const grad of gradOverrides) {
    const old = tf.getGradient(grad.kernelName);
    if (old === grad) continue;
    if (old) replacedGrads.push(old);
    tf.registerGradient(grad);
  }
  installed.set(backend, { configs: [...added, ...overrides], replaced });
  return true;
}

/** Removes our kernels from `backend` and puts its built-in ones back (the step benchmark compares both). */
export function uninstallKernels(backend: string): void {
  if (!isFastBackend(backend)) return;
  const entry = installed.get(backend);
  if (!entry) return;
  for (const config of entry.configs) {
    if (tf.getKernel(config.kernelName, backend)) tf.unregisterKernel(config.kernelName, backend);
  }
  for (const config of entry.replaced) tf.registerKernel(config);
  installed.delete(backend);
  if (installed.size === 0) {
    for (const grad of [...gradConfigs, ...gradOverrides])
      if (tf.getGradient(grad.kernelName)) tf.unregisterGradient(grad.kernelName);
    for (const grad of replacedGrads) tf.registerGradient(grad);
    replacedGrads = [];
  }
}

/**
 * Lets our wasm module use fused multiply-add (WebAssembly relaxed SIMD):
 * ~1.4–1.7× faster matrix products; results differ from the unfused ones by
 * float32 rounding only. Node 20 (V8 11.3) has relaxed SIMD behind a V8 flag,
 * which this sets for the whole process (node:v8 setFlagsFromString; Node 22+
 * has it on by default). Call before the module is first instantiated (the
 * first kernel run on the wasm backend). Returns whether the engine accepted
 * it (otherwise the plain SIMD kernels run).
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
