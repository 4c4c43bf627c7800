import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendInfo } from '../../shared/contract';

/** Resolves a package's folder without loading it (loading a native binding here would pin it to this thread). */
function packageDir(name: string): string | null {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function findFile(dir: string, fileName: string, depth = 4): boolean {
  if (depth < 0) return false;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((entry) =>
    entry.isDirectory() ? findFile(path.join(dir, entry.name), fileName, depth - 1) : entry.name === fileName,
  );
}

/**
 * Which training backends this installation can run, best first, found from
 * the files on disk only: the native TensorFlow binding is loaded by the
 * training worker alone (tfjs issues 2079, 8388).
 */
export function probeBackends(): BackendInfo[] {
  const native = [
    { pkg: '@tensorflow/tfjs-node-gpu', device: 'CUDA GPU (TensorFlow native)' },
    { pkg: '@tensorflow/tfjs-node', device: 'CPU (TensorFlow native)' },
  ]
    .map(({ pkg, device }) => {
      const dir = packageDir(pkg);
      const built = dir !== null && findFile(path.join(dir, 'lib'), 'tfjs_binding.node');
      return { pkg, device, installed: dir !== null, built };
    })
    .find((candidate) => candidate.built);

  const wasmDir = packageDir('@tensorflow/tfjs-backend-wasm');
  const wasmOk = wasmDir !== null && fs.existsSync(path.join(wasmDir, 'dist', 'tfjs-backend-wasm-simd.wasm'));

  return [
    {
      name: 'tensorflow',
      available: native !== undefined,
      detail: native
        ? `${native.device} via ${native.pkg}`
        : 'Not installed: @tensorflow/tfjs-node(-gpu) needs libtensorflow, which downloads at install time.',
    },
    {
      name: 'wasm',
      available: wasmOk,
      detail: wasmOk
        ? 'CPU (WebAssembly, SIMD)'
        : 'The bundled @tensorflow/tfjs-backend-wasm files are missing.',
    },
    { name: 'cpu', available: true, detail: 'CPU (plain JavaScript, slowest)' },
  ];
}
