import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type * as WebGpuPackage from '@tensorflow/tfjs-backend-webgpu';
import * as path from 'node:path';
import type { Architecture, BackendChoice, BackendName } from '../../shared/hyperparams';
import { nativeStatus, wasmBinaryDir } from './backend-probe';
import { TrainingError } from './errors';
import { enableRelaxedSimd, installKernels } from './kernels/index';
import { type DawnDevice, listAdapters, loadDawn } from './webgpu-probe';

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

type Attempt = { ok: true; device: string; notes?: string[] } | { ok: false; reason: string };

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

/** The device the webgpu backend runs on, and what went wrong with it (device lost, out of memory). */
interface GpuState {
  device: DawnDevice;
  name: string;
  software: boolean;
  fault: string | null;
  /** Rejects with the fault's {@link TrainingError} when one happens; never resolves. */
  faulted: Promise<never>;
}
let gpu: GpuState | null = null;

/** What a GPU fault means for the run, and what to try. */
function gpuFailure(fault: string): TrainingError {
  return new TrainingError(
    'unavailable',
    `${fault}, so the run stopped. The last finished epoch's checkpoint is kept: resume the run, ` +
      `on webgpu after closing other programs that use the GPU (or restarting the app), or on another backend (wasm).`,
  );
}

/**
 * Why the GPU can no longer be trusted (the device was lost, or it ran out of
 * memory) as the run's error, or null. A lost device's reads may return zeros
 * or never resolve rather than throw: the loop checks this after each read.
 */
export function webgpuFailure(): TrainingError | null {
  const fault = tf.getBackend() === 'webgpu' ? (gpu?.fault ?? null) : null;
  return fault === null ? null : gpuFailure(fault);
}

/** `read`, or the GPU's fault as a rejection if the device fails first (its reads would hang). */
export function gpuRead<T>(read: Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu' || gpu === null) return read;
  return Promise.race([read, gpu.faulted]);
}

/** Test hook: destroys the webgpu device, as a driver reset or an unplugged GPU would. */
export function loseWebgpuDevice(): void {
  gpu?.device.destroy();
}

async function tryWebgpu(args: { allowSoftware: boolean }): Promise<Attempt> {
  const dawn = loadDawn();
  if (!dawn.ok) return { ok: false, reason: dawn.reason };
  if (gpu === null || gpu.fault !== null || (gpu.software && !args.allowSoftware)) {
    const adapters = await listAdapters(dawn.gpu);
    const chosen = adapters.find((a) => args.allowSoftware || !a.summary.software);
    if (!chosen) {
      return {
        ok: false,
        reason:
          adapters.length === 0
            ? 'Dawn found no GPU adapter (no GPU, or no Vulkan, Metal or Direct3D 12 driver for it)'
            : `Dawn found only software adapters (${adapters.map((a) => a.summary.name).join(', ')}), which "auto" never uses`,
      };
    }
    const { adapter } = chosen;
    // tfjs' webgpu backend checks navigator.gpu and uses the GPU* constants as globals.
    Object.assign(globalThis, dawn.dawn.globals);
    // Loaded before navigator.gpu exists, so it does not register a "webgpu"
    // backend of its own on an adapter of its choosing (possibly a software one).
    const { WebGPUBackend } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-webgpu') as typeof WebGpuPackage;
    const nav = ((globalThis as { navigator?: object }).navigator ??= {});
    Object.defineProperty(nav, 'gpu', { value: dawn.gpu, configurable: true });
    const limits = adapter.limits;
    let device: DawnDevice;
    try {
      device = await adapter.requestDevice({
        // As tfjs' own registration asks: the defaults are too small for big matMuls.
        requiredLimits: Object.fromEntries(
          [
            'maxComputeWorkgroupStorageSize',
            'maxComputeWorkgroupsPerDimension',
            'maxStorageBufferBindingSize',
            'maxBufferSize',
            'maxComputeWorkgroupSizeX',
            'maxComputeInvocationsPerWorkgroup',
          ].flatMap((name) => (typeof limits[name] === 'number' ? [[name, limits[name]]] : [])),
        ),
      });
    } catch (error) {
      return {
        ok: false,
        reason: `${chosen.summary.name} refused to create a device (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    let fail: (error: TrainingError) => void = () => undefined;
    const faulted = new Promise<never>((_, reject) => (fail = reject));
    // Nobody may be waiting when it happens: an unhandled rejection would end the process.
    faulted.catch(() => undefined);
    const state: GpuState = {
      device,
      name: chosen.summary.name,
      software: chosen.summary.software,
      fault: null,
      faulted,
    };
    const setFault = (fault: string): void => {
      if (state.fault !== null) return;
      state.fault = fault;
      fail(gpuFailure(fault));
    };
    void device.lost.then((info) =>
      setFault(
        info.reason === 'destroyed'
          ? `The GPU device (${state.name}) was destroyed`
          : `The GPU device (${state.name}) was lost (${info.message || info.reason})`,
      ),
    );
    device.addEventListener?.('uncapturederror', (event) => {
      const message = event.error.message.split('\n')[0] ?? '';
      setFault(
        /out of memory|allocat/i.test(message)
          ? `The GPU (${state.name}) ran out of memory (${message}); try a smaller batch size`
          : `The GPU (${state.name}) reported an error (${message})`,
      );
    });
    if (tf.findBackend('webgpu') !== null || tf.findBackendFactory('webgpu') !== null)
      tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      () => new WebGPUBackend(device as unknown as GPUDevice, adapter.info as unknown as GPUAdapterInfo),
    );
    gpu = state;
  }
  if (!(await activate('webgpu'))) {
    return { ok: false, reason: `${gpu.name} could not start the tfjs webgpu backend` };
  }
  const notes = gpu.software
    ? [`webgpu: ${gpu.name} is a software adapter (the CPU emulating a GPU): slow, for testing only`]
    : [];
  return { ok: true, device: gpu.software ? `${gpu.name} (software adapter)` : gpu.name, notes };
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

const attempts: Record<BackendName, (choice: BackendChoice) => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  // Only a forced choice may run on a software adapter: auto never calls SwiftShader a GPU.
  webgpu: (choice) => tryWebgpu({ allowSoftware: choice === 'webgpu' }),
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Sets the tfjs backend with our kernels installed for it: `auto` takes the
 * first of tensorflow → webgpu (a hardware adapter only) → wasm → cpu that initialises and has the kernels
 * `arch` needs; a forced backend that cannot serve is an error
 * ('unavailable') that says why, never a silent fallback.
 */
export async function initBackend(args: InitBackendArgs): Promise<ActiveBackend> {
  // The decode worker (native false) stays off the GPU too: one device per process is enough.
  const best: BackendName[] =
    args.native === false ? ['wasm', 'cpu'] : ['tensorflow', 'webgpu', 'wasm', 'cpu'];
  const order: BackendName[] = args.choice === 'auto' ? best : [args.choice];
  const notes: string[] = [];
  for (const name of order) {
    const attempt = await attempts[name](args.choice);
    if (!attempt.ok) {
      notes.push(`${name}: ${attempt.reason}`);
      // tf.setBackend leaves a failed backend named as current; the next one is set explicitly.
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
    return { name, device: attempt.device, notes: [...notes, ...(attempt.notes ?? [])] };
  }
  const why = notes.join('; ');
  throw new TrainingError(
    'unavailable',
    args.choice === 'auto'
      ? `No training backend could start (${why}).`
      : `The ${args.choice} backend is not available for this run (${why}). Choose "auto" to use the best available one.`,
  );
}
