import * as tf from '@tensorflow/tfjs-core';
import { type FastBackend, type KernelArgs, type TensorInfo, arraysFor, input } from './backend-access';

/**
 * The VAE's loss terms and sampling step as single kernels with their own
 * gradients. As plain tfjs ops the BCE from logits, the KL term and the
 * reparameterisation are ~25 kernels forward and ~40 backward, each a pass
 * over memory plus the engine's per-kernel overhead; at batch 64 they cost
 * more than the model's two big matrix products. Same functions as the
 * plain ops in loss.ts and model.ts (test/unit/ops/loss-kernels.test.ts).
 *
 *   VaeBce        {x [b,p], logits [b,p]}, {limit}
 *                 → [per-image Σ_p softplus(l') − x·l' [b], ∂/∂logits [b,p]]
 *                 with l' = clip(logits, ±limit); the gradient is computed in
 *                 the same pass and kept for the backward one
 *   VaeRowScale   {g [b,p], s [b]} → g·s (per row)
 *   VaeReparam    {mu, logVar, eps [b,d]} → z = mu + exp(logVar/2)·eps
 *   VaeReparamGrad {dz, logVar, eps} → ∂/∂logVar = dz·eps·exp(logVar/2)/2
 *   VaeKl         {mu, logVar [b,d]} → −½·Σ_d(1 + logVar − mu² − exp(logVar)) [b]
 *   VaeKlGrad     {dkl [b], mu, logVar}, {wrt} → dkl·mu (wrt 'mu') or
 *                 dkl·(exp(logVar) − 1)/2 (wrt 'logVar')
 */

export const BCE = 'VaeBce';
export const ROW_SCALE = 'VaeRowScale';
export const REPARAM = 'VaeReparam';
export const REPARAM_GRAD = 'VaeReparamGrad';
export const KL = 'VaeKl';
export const KL_GRAD = 'VaeKlGrad';

function rowsCols(info: TensorInfo): [number, number] {
  const [rows = 0, cols = 0] = info.shape;
  if (info.shape.length !== 2) throw new Error(`expected a matrix, got shape [${info.shape.join(', ')}]`);
  return [rows, cols];
}

function bceKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo[] => {
    const arr = arraysFor(backendName, args.backend);
    const x = input(args, 'x');
    const logits = input(args, 'logits');
    // As a float32, like the scalars of the plain ops' clip, so both clip at the same value.
    const limit = Math.fround(Number(args.attrs?.['limit']));
    const [rows, cols] = rowsCols(logits);
    const out = arr.alloc([rows]);
    const grad = arr.alloc([rows, cols]);
    if (arr.wasm && arr.ptr && cols % 4 === 0) {
      const p = arr.ptr;
      arr.wasm.bce({ x: p(x), logits: p(logits), grad: p(grad), out: p(out), rows, n: cols, limit });
      return [out, grad];
    }
    const X = arr.view(x);
    const L = arr.view(logits);
    const G = arr.view(grad);
    const O = arr.view(out);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = r * cols; i < (r + 1) * cols; i++) {
        const raw = L[i]!;
        const inside = raw >= -limit && raw <= limit;
        const l = raw < -limit ? -limit : raw > limit ? limit : raw;
        const e = Math.exp(-Math.abs(l));
        const xi = X[i]!;
        sum += Math.max(l, 0) + Math.log1p(e) - xi * l;
        const sigmoid = l >= 0 ? 1 / (1 + e) : e / (1 + e);
        G[i] = inside ? sigmoid - xi : 0;
      }
      O[r] = sum;
    }
    return [out, grad];
  };
}

function rowScaleKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo => {
    const arr = arraysFor(backendName, args.backend);
    const g = input(args, 'g');
    const s = input(args, 's');
    const [rows, cols] = rowsCols(g);
    const out = arr.alloc([rows, cols]);
    if (arr.wasm && arr.ptr && cols % 4 === 0) {
      arr.wasm.rowScale(arr.ptr(out), arr.ptr(g), arr.ptr(s), rows, cols);
      return out;
    }
    const G = arr.view(g);
    const S = arr.view(s);
    const O = arr.view(out);
    for (let r = 0; r < rows; r++) {
      const k = S[r]!;
      for (let i = r * cols; i < (r + 1) * cols; i++) O[i] = G[i]! * k;
    }
    return out;
  };
}

/** A kernel over [b, d] latent tensors, small enough for plain JS on every backend. */
function latentKernel(
  backendName: FastBackend,
  names: string[],
  outShapes: (rows: number, cols: number) => number[][],
  body: (ins: Float32Array[], outs: Float32Array[], rows: number, cols: number) => void,
) {
  return (args: KernelArgs): TensorInfo | TensorInfo[] => {
    const arr = arraysFor(backendName, args.backend);
    const infos = names.map((n) => input(args, n));
    const matrix = infos.find((t) => t.shape.length === 2) ?? infos[0]!;
    const [rows, cols] = rowsCols(matrix);
    const outs = outShapes(rows, cols).map((shape) => arr.alloc(shape));
    body(
      infos.map((t) => arr.view(t)),
      outs.map((t) => arr.view(t)),
      rows,
      cols,
    );
    return outs.length === 1 ? outs[0]! : outs;
  };
}

function reparamKernel(backendName: FastBackend) {
  return latentKernel(
    backendName,
    ['mu', 'logVar', 'eps'],
    (b, d) => [[b, d]],
    ([mu, lv, eps], [z]) => {
      for (let i = 0; i < z!.length; i++) z![i] = mu![i]! + Math.exp(lv![i]! * 0.5) * eps![i]!;
    },
  );
}

function reparamGradKernel(backendName: FastBackend) {
  return latentKernel(
    backendName,
    ['dz', 'logVar', 'eps'],
    (b, d) => [[b, d]],
    ([dz, lv, eps], [dlv]) => {
      for (let i = 0; i < dlv!.length; i++) dlv![i] = dz![i]! * eps![i]! * Math.exp(lv![i]! * 0.5) * 0.5;
    },
  );
}

function klKernel(backendName: FastBackend) {
  return latentKernel(
    backendName,
    ['mu', 'logVar'],
    (b) => [[b]],
    ([mu, lv], [kl], rows, cols) => {
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let i = r * cols; i < (r + 1) * cols; i++) {
          const m = mu![i]!;
          const v = lv![i]!;
          sum += 1 + v - m * m - Math.exp(v);
        }
        kl![r] = -0.5 * sum;
      }
    },
  );
}

function klGradKernel(backendName: FastBackend) {
  const kernels = {
    mu: latentKernel(
      backendName,
      ['dkl', 'mu'],
      (b, d) => [[b, d]],
      ([dkl, mu], [dmu], rows, cols) => {
        for (let i = 0; i < rows * cols; i++) dmu![i] = dkl![Math.floor(i / cols)]! * mu![i]!;
      },
    ),
    logVar: latentKernel(
      backendName,
      ['dkl', 'logVar'],
      (b, d) => [[b, d]],
      ([dkl, lv], [dlv], rows, cols) => {
        for (let i = 0; i < rows * cols; i++)
          dlv![i] = dkl![Math.floor(i / cols)]! * 0.5 * (Math.exp(lv![i]!) - 1);
      },
    ),
  };
  return (args: KernelArgs) => kernels[args.attrs?.['wrt'] === 'mu' ? 'mu' : 'logVar'](args);
}

export function lossKernelConfigs(backendName: FastBackend): tf.KernelConfig[] {
  const config = (
    kernelName: string,
    f: (args: KernelArgs) => TensorInfo | TensorInfo[],
  ): tf.KernelConfig => ({
    kernelName,
    backendName,
    kernelFunc: f as unknown as tf.KernelFunc,
  });
  return [
    config(BCE, bceKernel(backendName)),
    config(ROW_SCALE, rowScaleKernel(backendName)),
    config(REPARAM, reparamKernel(backendName)),
    config(REPARAM_GRAD, reparamGradKernel(backendName)),
    config(KL, klKernel(backendName)),
    config(KL_GRAD, klGradKernel(backendName)),
  ];
}

function run<T extends tf.Tensor | tf.Tensor[]>(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: Record<string, unknown> = {},
): T {
  return tf.engine().runKernel<T>(name, inputs, attrs as tf.NamedAttrMap);
}

export const lossGradConfigs: tf.GradConfig[] = [
  {
    kernelName: BCE,
    inputsToSave: ['logits'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      // Only the per-image sums feed the loss; the gradient output is not differentiated.
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor1D;
      const [logits, grad] = saved as [tf.Tensor2D, tf.Tensor2D];
      const limit = Number((attrs as { limit: number }).limit);
      return {
        logits: () => run<tf.Tensor>(ROW_SCALE, { g: grad, s: dy }),
        // ∂/∂x = −l'·dy; x is data, so the tape never asks for it in training.
        x: () => tf.mul(tf.neg(tf.clipByValue(logits, -limit, limit)), tf.expandDims(dy, 1)),
      };
    },
  },
  {
    kernelName: REPARAM,
    inputsToSave: ['logVar', 'eps'],
    gradFunc: (dz, saved) => {
      const [logVar, eps] = saved as [tf.Tensor, tf.Tensor];
      return {
        mu: () => tf.clone(dz as tf.Tensor),
        logVar: () => run<tf.Tensor>(REPARAM_GRAD, { dz: dz as tf.Tensor, logVar, eps }),
        eps: () => tf.mul(dz as tf.Tensor, tf.exp(tf.mul(logVar, 0.5))),
      };
    },
  },
  {
    kernelName: KL,
    inputsToSave: ['mu', 'logVar'],
    gradFunc: (dkl, saved) => {
      const [mu, logVar] = saved as [tf.Tensor, tf.Tensor];
      return {
        mu: () => run<tf.Tensor>(KL_GRAD, { dkl: dkl as tf.Tensor, mu }, { wrt: 'mu' }),
        logVar: () => run<tf.Tensor>(KL_GRAD, { dkl: dkl as tf.Tensor, logVar }, { wrt: 'logVar' }),
      };
    },
  },
];

/** Per-image BCE summed over pixels from logits clipped to ±limit; the caller checks the kernel exists. */
export function runBce(x: tf.Tensor2D, logits: tf.Tensor2D, limit: number): tf.Tensor1D {
  const [perImage, grad] = run<tf.Tensor[]>(BCE, { x, logits }, { limit });
  // The gradient output lives on in the tape's saved tensors only.
  grad!.dispose();
  return perImage as tf.Tensor1D;
}

export function runReparam(mu: tf.Tensor2D, logVar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  return run<tf.Tensor2D>(REPARAM, { mu, logVar, eps });
}

export function runKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return run<tf.Tensor1D>(KL, { mu, logVar });
}
