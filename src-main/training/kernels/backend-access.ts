import * as tf from '@tensorflow/tfjs-core';
import { type EmscriptenModuleLike, type WasmKernels, wasmKernelsFor } from './wasm-kernels';

/**
 * Typed access to the parts of the tfjs backends our kernels use: their tensor
 * storage (typed arrays; for wasm, views on the module's heap) and the
 * kernels they already have. Kept in one place because these are internals
 * of tfjs-backend-wasm / tfjs-backend-cpu 4.22, not public API.
 */

export type TensorInfo = tf.TensorInfo;

/** What tfjs passes a kernel function (typed for our kernels). */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: tf.KernelBackend;
  attrs?: Record<string, unknown>;
}

/** A kernel's input by name; a missing one is a bug in the op that ran it. */
export function input(args: KernelArgs, name: string): TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`missing input ${name}`);
  return t;
}

/** What we use of tfjs-backend-wasm's BackendWasm. */
export interface WasmBackendLike {
  wasm: EmscriptenModuleLike;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** What we use of tfjs-backend-cpu's MathBackendCPU. */
export interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
  data: { get(dataId: tf.DataId): { values: Float32Array } };
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/**
 * A backend seen as float32 arrays. On wasm, `view` returns a view on the heap
 * that a later `alloc` may invalidate (the heap can grow): take views after
 * allocating, never keep them across an allocation.
 */
export interface Arrays {
  readonly name: 'wasm' | 'cpu';
  readonly backend: tf.KernelBackend;
  alloc(shape: number[]): TensorInfo;
  view(info: TensorInfo): Float32Array;
  free(info: TensorInfo): void;
  /**
   * C = op(A)·op(B) as a new [m, n] tensor; A is stored [m, k] ([k, m] when
   * transA), B [k, n] ([n, k] when transB). Never the backend's transposed
   * matmul on wasm.
   */
  matMul(a: TensorInfo, b: TensorInfo, dims: MatMulDims): TensorInfo;
  /** Our wasm module and heap addresses (wasm only). */
  wasm?: WasmKernels;
  ptr?: (info: TensorInfo) => number;
  /** out (+)= op(A)·op(B), out an existing [m, n] tensor. */
  matMulInto(a: TensorInfo, b: TensorInfo, out: TensorInfo, dims: MatMulDims, accumulate: boolean): void;
}

export interface MatMulDims {
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
}

function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

function callKernel(
  name: string,
  backendName: string,
  args: { inputs: object; attrs: object; backend: tf.KernelBackend },
): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) throw new Error(`The ${backendName} backend has no ${name} kernel`);
  const out = kernel.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}

/** {@link Arrays} of the wasm backend, where our module and heap addresses are always there. */
export type WasmArrays = Arrays & {
  readonly name: 'wasm';
  wasm: WasmKernels;
  ptr: (info: TensorInfo) => number;
};

/** The array view of a wasm backend (kernels registered for wasm only). */
export function wasmArrays(backend: tf.KernelBackend): WasmArrays {
  const be = backend as unknown as WasmBackendLike;
  const ptr = (info: TensorInfo): number => {
    const data = be.dataIdMap.get(info.dataId);
    if (!data) throw new Error('tensor data is not on the wasm backend');
    return data.memoryOffset;
  };
  return {
    name: 'wasm',
    wasm: wasmKernelsFor(be.wasm),
    ptr,
    backend,
    alloc: (shape) => be.makeOutput(shape, 'float32'),
    view: (info) => be.typedArrayFromHeap(info) as Float32Array,
    free: (info) => {
      be.disposeData(info.dataId);
    },
    matMul(a, b, dims) {
      const out = be.makeOutput([dims.m, dims.n], 'float32');
      this.matMulInto(a, b, out, dims, false);
      return out;
    },
    matMulInto(a, b, out, dims, accumulate) {
      this.wasm.gemm({
        a: ptr(a),
        b: ptr(b),
        c: ptr(out),
        m: dims.m,
        k: dims.k,
        n: dims.n,
        transA: dims.transA === true,
        transB: dims.transB === true,
        accumulate,
      });
    },
  };
}

function cpuArrays(backend: tf.KernelBackend): Arrays {
  const be = backend as unknown as CpuBackendLike;
  return {
    name: 'cpu',
    backend,
    alloc: (shape) => be.makeTensorInfo(shape, 'float32', new Float32Array(sizeOf(shape))),
    view: (info) => be.data.get(info.dataId).values,
    free: (info) => be.disposeIntermediateTensorInfo(info),
    matMul: (a, b, dims) => {
      const { m, k, n } = dims;
      const transA = dims.transA === true;
      const transB = dims.transB === true;
      const out = callKernel('BatchMatMul', 'cpu', {
        inputs: {
          a: { ...a, shape: transA ? [1, k, m] : [1, m, k] },
          b: { ...b, shape: transB ? [1, n, k] : [1, k, n] },
        },
        attrs: { transposeA: transA, transposeB: transB },
        backend,
      });
      // The cpu kernel's output is [1, m, n]; same data, 2-D view.
      return { ...out, shape: [m, n] };
    },
    matMulInto(a, b, out, dims, accumulate) {
      const product = this.matMul(a, b, dims);
      const P = be.data.get(product.dataId).values;
      const O = be.data.get(out.dataId).values;
      if (accumulate) for (let i = 0; i < O.length; i++) O[i]! += P[i]!;
      else O.set(P);
      be.disposeIntermediateTensorInfo(product);
    },
  };
}

/** The array view of a kernel's backend. */
export function arraysFor(backendName: 'wasm' | 'cpu', backend: tf.KernelBackend): Arrays {
  return backendName === 'wasm' ? wasmArrays(backend) : cpuArrays(backend);
}

/** The backends our kernels are written for. */
export const fastBackends = ['wasm', 'cpu'] as const;
export type FastBackend = (typeof fastBackends)[number];

/**
 * out[j*rows + i] = src[i*cols + j]: a rows×cols row-major matrix transposed,
 * in tiles so that both sides stay in cache.
 */
export function transposeInto(
  src: Float32Array,
  srcOffset: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(i0 + T, rows);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(j0 + T, cols);
      for (let i = i0; i < i1; i++) {
        const s = srcOffset + i * cols;
        for (let j = j0; j < j1; j++) dst[dstOffset + j * rows + i] = src[s + j]!;
      }
    }
  }
}
