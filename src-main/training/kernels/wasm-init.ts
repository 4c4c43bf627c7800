import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Starts tfjs' wasm backend in Node for tests and benchmarks (the engine does
 * the same in backend.ts): the .wasm binaries are read from the installed
 * package's dist folder, which the loader cannot guess once code is compiled
 * to dist/ or bundled. Idempotent; returns false when wasm cannot start.
 */
let pathsSet = false;

export function wasmDistDir(): string {
  // `require` is there once compiled to CommonJS; under an ESM loader (vitest) resolve from the working folder.
  const req = typeof require === 'function' ? require : createRequire(path.join(process.cwd(), 'index.js'));
  return path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

export async function useWasmBackend(): Promise<boolean> {
  if (!pathsSet) {
    setWasmPaths(wasmDistDir() + path.sep);
    pathsSet = true;
  }
  try {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    return ok;
  } catch {
    return false;
  }
}
