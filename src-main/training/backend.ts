import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import type { Architecture, BackendChoice, BackendName } from '../../shared/hyperparams';
import { nativeStatus, wasmBinaryDir } from './backend-probe';
import { TrainingError } from './errors';
import { enableRelaxedSimd, installKernels } from './kernels/index';

/**
 * Chooses and initialises the tfjs backend of the training worker. Loads
 * TensorFlow's native binding when asked to, so it belongs to the worker only;
 * the main process uses {@link probeBackends} from backend-probe.ts.
 */

export { probeBackends } from './backend-probe';

/** The backend in force and what it runs on, as shown to the user. */
export interface ActiveBackend {
  name: BackendName;
  /** e.g. "CPU (WebAssembly, SIMD)". */
  device: string;
  /** Why better backends were passed over (for the log and the run's details). */
  notes: string[];
}

/** Arguments of {@link initBackend}. */
export interface InitBackendArgs {
  choice: BackendChoice;
  /** The backend must have every kernel training this architecture needs. */
  arch: Architecture;
  /**
   * Whether `auto` may load TensorFlow's native binding (default true). It
   * loads in one thread of a process only (tfjs issues 2079, 8388): a second
   * worker (the decode worker) must pass false.
   */
  native?: boolean;
}

// Kernels whose absence makes a model untrainable rather than slow: the
// gradient of conv2d and of conv2dTranspose both need Conv2DBackpropFilter,
// which tfjs-backend-wasm 4.22 does not have.
const kernelsByArch: Record<Architecture, readonly string[]> = {
  mlp: ['BatchMatMul', 'Sigmoid', 'Relu', 'Exp', 'Log1p', 'ClipByValue'],
  conv: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
};

/** Kernels the architecture needs that the backend lacks (empty when it can train it). */
export function missingKernels(args: { arch: Architecture; backend: string }): string[] {
  const needed = args.arch === 'conv' ? [...kernelsByArch.mlp, ...kernelsByArch.conv] : kernelsByArch.mlp;
  return needed.filter((kernel) => tf.getKernel(kernel, args.backend) === undefined);
}

type Attempt = { ok: true; device: string } | { ok: false; reason: string };

let nativeAttempt: { ok: true; pkg: string; device: string } | { ok: false; reason: string } | undefined;
let wasmPathsSet = false;

function loadNative(): { ok: true; pkg: string; device: string } | { ok: false; reason: string } {
  // Once is enough: a binding that failed to load fails again, and one that
  // loaded stays registered for the life of the thread.
  if (nativeAttempt) return nativeAttempt;
  const reasons: string[] = [];
  for (const native of nativeStatus()) {
    // Checked on disk first: requiring a package whose binding is missing
    // would load all of @tensorflow/tfjs only to fail.
    if (native.dir === null) {
      reasons.push(`${native.pkg} is not installed`);
      continue;
    }
    if (!native.built) {
      reasons.push(
        `${native.pkg} is installed without its native binding (its install could not download libtensorflow)`,
      );
      continue;
    }
    try {
      // A guarded require rather than an import: the packages are optional
      // dependencies, usually absent, and must load in this worker only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(native.pkg);
    } catch (error) {
      reasons.push(
        `${native.pkg} failed to load (${error instanceof Error ? error.message : String(error)})`,
      );
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      reasons.push(
        `${native.pkg} loaded but registered its backend with another copy of @tensorflow/tfjs-core (version mismatch)`,
      );
      continue;
    }
    nativeAttempt = { ok: true, pkg: native.pkg, device: native.device };
    return nativeAttempt;
  }
  nativeAttempt = { ok: false, reason: reasons.join('; ') };
  return nativeAttempt;
}

async function activate(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<Attempt> {
  const native = loadNative();
  if (!native.ok) return { ok: false, reason: native.reason };
  if (!(await activate('tensorflow')))
    return { ok: false, reason: `${native.pkg} could not initialise TensorFlow` };
  return { ok: true, device: native.device };
}

async function tryWasm(): Promise<Attempt> {
  const dir = wasmBinaryDir();
  if (dir === null)
    return { ok: false, reason: 'the .wasm files of @tensorflow/tfjs-backend-wasm are missing' };
  if (!wasmPathsSet) {
    // An explicit folder rather than the loader's default guess, which breaks
    // when the code is bundled or moved (e.g. into an asar archive).
    setWasmPaths(dir + path.sep);
    wasmPathsSet = true;
  }
  // Before our module compiles: fused multiply-add makes its matrix products
  // ~1.3× faster; results differ from unfused ones by float32 rounding only.
  const fma = process.env['VAE_STUDIO_WASM_FMA'] !== '0' && enableRelaxedSimd();
  // Before the backend is set, which runs the setup of the kernels registered for it.
  installKernels('wasm');
  if (!(await activate('wasm'))) return { ok: false, reason: 'WebAssembly failed to initialise' };
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // Node's wasm backend is single-threaded: tfjs hard-codes multithreading off there.
  const features = ['WebAssembly', simd && 'SIMD', simd && fma && 'fused multiply-add'].filter(Boolean);
  return { ok: true, device: `CPU (${features.join(', ')})` };
}

async function tryCpu(): Promise<Attempt> {
  installKernels('cpu');
  if (!(await activate('cpu'))) return { ok: false, reason: 'the JavaScript backend failed to initialise' };
  return { ok: true, device: 'CPU (plain JavaScript)' };
}

const attempts: Record<BackendName, () => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Sets the tfjs backend with our kernels installed for it: `auto` takes the
 * first of tensorflow → wasm → cpu that initialises and has the kernels
 * `arch` needs; a forced backend that cannot serve is an error
 * ('unavailable') that says why, never a silent fallback.
 */
export async function initBackend(args: InitBackendArgs): Promise<ActiveBackend> {
  const best: BackendName[] = args.native === false ? ['wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
  const order: BackendName[] = args.choice === 'auto' ? best : [args.choice];
  const notes: string[] = [];
  for (const name of order) {
    const attempt = await attempts[name]();
    if (!attempt.ok) {
      notes.push(`${name}: ${attempt.reason}`);
      continue;
    }
    const missing = missingKernels({ arch: args.arch, backend: name });
    if (missing.length > 0) {
      notes.push(
        `${name}: cannot train the ${args.arch} architecture, it has no ${missing.join(', ')} kernel` +
          (missing.length > 1 ? 's' : ''),
      );
      continue;
    }
    await tf.ready();
    return { name, device: attempt.device, notes };
  }
  const why = notes.join('; ');
  throw new TrainingError(
    'unavailable',
    args.choice === 'auto'
      ? `No training backend could start (${why}).`
      : `The ${args.choice} backend is not available for this run (${why}). Choose "auto" to use the best available one.`,
  );
}
