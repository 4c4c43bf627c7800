import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The AssemblyScript kernels (wasm/, built by scripts/build-wasm.mjs): their
 * compiled modules, and the shared memory they run on. A module is compiled
 * once per process and instantiated once per thread on the same memory.
 */

/** The WebAssembly API (not in the ES lib that tsconfig.node.json uses). */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A compiled module; plain data for postMessage to worker threads. */
export type CompiledModule = object;

const PAGE = 65536;
/** The modules' declared maximum (scripts/build-wasm.mjs): 4 GiB. */
const MAX_PAGES = 65536;

/** Where the built .wasm files are: next to this file once compiled, else in the build output. */
function wasmDir(): string {
  const candidates = [
    path.join(__dirname, 'wasm'),
    path.resolve(__dirname, '../../../dist/node/src-main/training/kernels/wasm'),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) {
    throw new Error(
      `The AssemblyScript kernels are not built (looked in ${candidates.join(', ')}): run npm run build:node.`,
    );
  }
  return found;
}

const compiled = new Map<string, CompiledModule>();

/** The module `name` (wasm/<name>.ts), with fused multiply-add when `fma` (relaxed SIMD must be enabled). */
export function kernelModule(name: string, fma: boolean): CompiledModule {
  const file = `${name}${fma ? '.fma' : ''}.wasm`;
  let module = compiled.get(file);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(path.join(wasmDir(), file)));
    compiled.set(file, module);
  }
  return module;
}

/** A shared memory of at least `bytes`, growable up to 4 GiB. */
export function sharedMemory(bytes: number): SharedMemory {
  return new WebAssembly.Memory({
    initial: Math.max(1, Math.ceil(bytes / PAGE)),
    maximum: MAX_PAGES,
    shared: true,
  });
}

/** Grows `memory` to hold at least `bytes`. */
export function ensureMemory(memory: SharedMemory, bytes: number): void {
  const missing = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (missing > 0) memory.grow(missing);
}

/** An instance of `module` on `memory` (one per thread). */
export function instantiate<T>(module: CompiledModule, memory: SharedMemory): T {
  return new WebAssembly.Instance(module, { env: { memory, abort: abortFromWasm } }).exports as T;
}

function abortFromWasm(): never {
  throw new Error('A kernel aborted (AssemblyScript abort).');
}
