import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendInfo } from '../../shared/contract';

/**
 * What the training worker could run on, found from files on disk alone: the
 * main process must not load TensorFlow's native binding (it may load in one
 * thread only, tfjs issues 2079 and 8388) nor pay for tfjs at all.
 */

/** The native packages, best first, with the device each one drives. */
export const nativePackages = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'GPU (CUDA, TensorFlow native)' },
  { pkg: '@tensorflow/tfjs-node', device: 'CPU (TensorFlow native)' },
] as const;

/** A package's folder, resolved without loading it; null when it is not installed. */
export function packageDir(pkg: string): string | null {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

function containsFile(args: { dir: string; fileName: string; depth: number }): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(args.dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((entry) =>
    entry.isDirectory()
      ? args.depth > 0 &&
        containsFile({ dir: path.join(args.dir, entry.name), fileName: args.fileName, depth: args.depth - 1 })
      : entry.name === args.fileName,
  );
}

/** Folder holding the wasm backend's .wasm binaries, or null when they are missing. */
export function wasmBinaryDir(): string | null {
  const dir = packageDir('@tensorflow/tfjs-backend-wasm');
  if (dir === null) return null;
  const dist = path.join(dir, 'dist');
  return fs.existsSync(path.join(dist, 'tfjs-backend-wasm.wasm')) ? dist : null;
}

/** What is on disk of each native package, best first. */
export interface NativeStatus {
  pkg: string;
  device: string;
  /** Null when the package is not installed. */
  dir: string | null;
  /** Its native binding exists (it is downloaded or built at install time, which fails offline). */
  built: boolean;
}

/** The native packages as found on disk, without loading them. */
export function nativeStatus(): NativeStatus[] {
  return nativePackages.map((native) => {
    const dir = packageDir(native.pkg);
    const built =
      dir !== null && containsFile({ dir: path.join(dir, 'lib'), fileName: 'tfjs_binding.node', depth: 3 });
    return { ...native, dir, built };
  });
}

/** Availability of each backend, best first; cheap (a few stat calls), loads nothing. */
export function probeBackends(): BackendInfo[] {
  const installed = nativeStatus();
  const native = installed.find((n) => n.built);
  const unbuilt = installed.find((n) => n.dir !== null && !n.built);
  const wasmDir = wasmBinaryDir();
  return [
    {
      name: 'tensorflow',
      available: native !== undefined,
      detail: native
        ? `${native.device} via ${native.pkg}`
        : unbuilt
          ? `${unbuilt.pkg} is installed but its native binding is missing (its install downloads libtensorflow, which failed).`
          : 'Not installed: @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (optional; needs libtensorflow).',
    },
    {
      name: 'wasm',
      available: wasmDir !== null,
      detail:
        wasmDir !== null
          ? 'CPU (WebAssembly)'
          : 'The .wasm files of @tensorflow/tfjs-backend-wasm are missing.',
    },
    { name: 'cpu', available: true, detail: 'CPU (plain JavaScript)' },
  ];
}
