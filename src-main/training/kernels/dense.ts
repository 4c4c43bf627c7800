import * as tf from '@tensorflow/tfjs-core';
import {
  type Arrays,
  type FastBackend,
  type KernelArgs,
  type TensorInfo,
  arraysFor,
  input,
} from './backend-access';

/**
 * The dense layer y = act(x·W + b) as one kernel, with a gradient that never
 * asks the backend for a transposed matmul (wasm 4.22 runs those ~15× slower
 * than the plain form, through a naive loop instead of XNNPACK): the operand
 * is transposed explicitly (a tiled copy) and the product runs untransposed.
 * The gradient of each input is computed only when the tape needs it (the
 * first layer's ∂x never is).
 *
 * Kernels (installed for 'wasm' and 'cpu' by installKernels):
 *   VaeDense     {x [m,k], w [k,n], b [n]}, {activation} → y [m,n]
 *   VaeActGrad   {dy [m,n], y [m,n]},      {activation} → dy·act'(y)
 *   VaeMatMulAT  {a [m,k], b [m,n]} → aᵀ·b [k,n]
 *   VaeMatMulBT  {a [m,n], b [k,n]} → a·bᵀ [m,k]
 *   VaeColSum    {x [m,n]} → Σ_rows x [n]
 */

export type Activation = 'linear' | 'relu' | 'sigmoid';

export const DENSE = 'VaeDense';
export const ACT_GRAD = 'VaeActGrad';
export const MATMUL_AT = 'VaeMatMulAT';
export const MATMUL_BT = 'VaeMatMulBT';
export const COL_SUM = 'VaeColSum';

function dim(info: TensorInfo, i: number): number {
  const d = info.shape[i];
  if (d === undefined) throw new Error(`tensor of shape [${info.shape.join(', ')}] has no dimension ${i}`);
  return d;
}

function activationOf(args: KernelArgs): Activation {
  const a = args.attrs?.['activation'];
  if (a === 'linear' || a === 'relu' || a === 'sigmoid') return a;
  throw new Error(`unknown activation ${String(a)}`);
}

/** y = act(y + b) in place, b broadcast over rows. */
function biasActivate(Y: Float32Array, B: Float32Array | null, m: number, n: number, act: Activation): void {
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      let v = Y[row + j]!;
      if (B) v += B[j]!;
      if (act === 'relu') v = v < 0 ? 0 : v;
      else if (act === 'sigmoid') v = 1 / (1 + Math.exp(-v));
      Y[row + j] = v;
    }
  }
}

function denseKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo => {
    const arr = arraysFor(backendName, args.backend);
    const x = input(args, 'x');
    const w = input(args, 'w');
    const b = input(args, 'b');
    const act = activationOf(args);
    const m = dim(x, 0);
    const k = dim(x, 1);
    const n = dim(w, 1);
    if (dim(w, 0) !== k || dim(b, 0) !== n) {
      throw new Error(
        `dense: shapes x [${x.shape.join(', ')}], w [${w.shape.join(', ')}], b [${b.shape.join(', ')}] do not fit`,
      );
    }
    const y = arr.matMul(x, w, { m, k, n });
    if (arr.wasm && arr.ptr && n % 4 === 0 && act !== 'sigmoid')
      arr.wasm.biasActivate(arr.ptr(y), arr.ptr(b), m, n, act === 'relu');
    else biasActivate(arr.view(y), arr.view(b), m, n, act);
    return y;
  };
}

function actGradKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo => {
    const arr = arraysFor(backendName, args.backend);
    const dy = input(args, 'dy');
    const y = input(args, 'y');
    const act = activationOf(args);
    const out = arr.alloc([...dy.shape]);
    const DY = arr.view(dy);
    const Y = arr.view(y);
    const O = arr.view(out);
    const size = O.length;
    let done = 0; // floats already computed in wasm
    if (act === 'relu' && arr.wasm && arr.ptr) {
      arr.wasm.reluGrad(arr.ptr(out), arr.ptr(dy), arr.ptr(y), size);
      done = size & ~3;
    }
    if (act === 'relu') {
      // tfjs' relu gradient: dy·step(x), step(0) = 0; y > 0 exactly where x > 0.
      for (let i = done; i < size; i++) O[i] = Y[i]! > 0 ? DY[i]! : 0;
    } else if (act === 'sigmoid') {
      for (let i = 0; i < size; i++) {
        const s = Y[i]!;
        O[i] = DY[i]! * (s * (1 - s));
      }
    } else {
      O.set(DY);
    }
    return out;
  };
}

/** aᵀ·b for a [m,k], b [m,n]. */
export function matMulAT(arr: Arrays, a: TensorInfo, b: TensorInfo): TensorInfo {
  const m = dim(a, 0);
  const k = dim(a, 1);
  const n = dim(b, 1);
  if (dim(b, 0) !== m)
    throw new Error(`matMulAT: [${a.shape.join(', ')}]ᵀ·[${b.shape.join(', ')}] do not fit`);
  return arr.matMul(a, b, { m: k, k: m, n, transA: true });
}

/** a·bᵀ for a [m,n], b [k,n]. */
export function matMulBT(arr: Arrays, a: TensorInfo, b: TensorInfo): TensorInfo {
  const m = dim(a, 0);
  const n = dim(a, 1);
  const k = dim(b, 0);
  if (dim(b, 1) !== n)
    throw new Error(`matMulBT: [${a.shape.join(', ')}]·[${b.shape.join(', ')}]ᵀ do not fit`);
  return arr.matMul(a, b, { m, k: n, n: k, transB: true });
}

function colSumKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo => {
    const arr = arraysFor(backendName, args.backend);
    const x = input(args, 'x');
    const m = dim(x, 0);
    const n = dim(x, 1);
    const out = arr.alloc([n]);
    if (arr.wasm && arr.ptr && n % 4 === 0) {
      arr.wasm.colSum(arr.ptr(out), arr.ptr(x), m, n);
      return out;
    }
    const X = arr.view(x);
    const O = arr.view(out);
    O.fill(0);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) O[j]! += X[row + j]!;
    }
    return out;
  };
}

export function denseKernelConfigs(backendName: FastBackend): tf.KernelConfig[] {
  const wrap = (f: (args: KernelArgs) => TensorInfo): tf.KernelFunc => f as unknown as tf.KernelFunc;
  return [
    { kernelName: DENSE, backendName, kernelFunc: wrap(denseKernel(backendName)) },
    { kernelName: ACT_GRAD, backendName, kernelFunc: wrap(actGradKernel(backendName)) },
    {
      kernelName: MATMUL_AT,
      backendName,
      kernelFunc: wrap((args) =>
        matMulAT(arraysFor(backendName, args.backend), input(args, 'a'), input(args, 'b')),
      ),
    },
    {
      kernelName: MATMUL_BT,
      backendName,
      kernelFunc: wrap((args) =>
        matMulBT(arraysFor(backendName, args.backend), input(args, 'a'), input(args, 'b')),
      ),
    },
    { kernelName: COL_SUM, backendName, kernelFunc: wrap(colSumKernel(backendName)) },
  ];
}

function run(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(name, inputs, attrs as tf.NamedAttrMap);
}

export const denseGradConfig: tf.GradConfig = {
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const activation = (attrs as { activation: Activation }).activation;
    const dz =
      activation === 'linear' ? (dy as tf.Tensor) : run(ACT_GRAD, { dy: dy as tf.Tensor, y }, { activation });
    return {
      x: () => run(MATMUL_BT, { a: dz, b: w }),
      w: () => run(MATMUL_AT, { a: x, b: dz }),
      b: () => run(COL_SUM, { x: dz }),
    };
  },
};

/**
 * Relu's gradient as one pass of VaeActGrad where the backend has it: tfjs'
 * own is dy·step(x) as Step, Cast and Multiply over the whole activation
 * (~8 ms of the conv model's step on wasm, in three passes). The same values
 * (step(0) = 0), except that a negative dy times 0 gives 0, not −0. Other
 * backends keep tfjs' formula.
 */
export const reluGradConfig: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    const d = dy as tf.Tensor;
    if (x.dtype === 'float32' && tf.getKernel(ACT_GRAD, tf.getBackend()))
      return { x: () => run(ACT_GRAD, { dy: d, y: x }, { activation: 'relu' }) };
    return { x: () => tf.mul(d, tf.step(tf.cast(x, 'float32'))) };
  },
};

/** The fused dense op; the caller checks that the kernel exists for the active backend. */
export function runDense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation,
): tf.Tensor2D {
  return run(DENSE, { x, w, b }, { activation }) as tf.Tensor2D;
}
