import * as tf from '@tensorflow/tfjs-core';
import { type FastBackend, type KernelArgs, type TensorInfo, arraysFor, input } from './backend-access';
import { type AdamScalars, adamRange } from './wasm-gemm';

/**
 * Adam with one kernel per variable instead of tfjs' 14 (each a pass over
 * the weights, several with a scalar broadcast that wasm 4.22 runs slowly):
 * for the reference model that is 12 kernels a step instead of ~170. Same
 * update, same state layout (so getWeights/setWeights and checkpoints are
 * unchanged), tested against tf.train.adam in test/unit/ops.
 *
 * Kernel VaeAdam {x, m, v, g}, {lr, beta1, beta2, epsilon, accBeta1, accBeta2}
 *   → [x', m', v'] with m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g²,
 *     x' = x − lr·(m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε).
 */

export const ADAM = 'VaeAdam';

const adamAttrNames = ['lr', 'beta1', 'beta2', 'epsilon', 'accBeta1', 'accBeta2'] as const;
type AdamAttrs = Record<(typeof adamAttrNames)[number], number>;

function adamAttrs(args: KernelArgs): AdamAttrs {
  const out = {} as AdamAttrs;
  for (const name of adamAttrNames) {
    const v = args.attrs?.[name];
    if (typeof v !== 'number') throw new Error(`VaeAdam: attribute ${name} must be a number`);
    out[name] = v;
  }
  return out;
}

function adamKernel(backendName: FastBackend) {
  return (args: KernelArgs): TensorInfo[] => {
    const arr = arraysFor(backendName, args.backend);
    const x = input(args, 'x');
    const m = input(args, 'm');
    const v = input(args, 'v');
    const g = input(args, 'g');
    const { lr, beta1, beta2, epsilon, accBeta1, accBeta2 } = adamAttrs(args);
    const xo = arr.alloc([...x.shape]);
    const mo = arr.alloc([...x.shape]);
    const vo = arr.alloc([...x.shape]);
    const f = Math.fround;
    // tfjs' scalars, each rounded to float32 as its tensors are; 1 − accβ computed in float32.
    const scalars: AdamScalars = [
      f(beta1),
      f(1 - beta1),
      f(beta2),
      f(1 - beta2),
      f(1 - accBeta1),
      f(1 - accBeta2),
      f(epsilon),
      f(-lr),
    ];
    if (arr.wasm && arr.ptr) {
      const p = arr.ptr;
      arr.wasm.adam(
        { x: p(x), m: p(m), v: p(v), g: p(g), xo: p(xo), mo: p(mo), vo: p(vo), n: arr.view(x).length },
        scalars,
      );
      return [xo, mo, vo];
    }
    const views = { x: arr.view(x), m: arr.view(m), v: arr.view(v), g: arr.view(g) };
    const outs = { xo: arr.view(xo), mo: arr.view(mo), vo: arr.view(vo) };
    adamRange({ ...views, ...outs }, 0, views.x.length, scalars);
    return [xo, mo, vo];
  };
}

export function adamKernelConfigs(backendName: FastBackend): tf.KernelConfig[] {
  return [{ kernelName: ADAM, backendName, kernelFunc: adamKernel(backendName) as unknown as tf.KernelFunc }];
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

/** tf.AdamOptimizer whose update is the VaeAdam kernel (the backend must have it). */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const accBeta1 = self.accBeta1.dataSync()[0]!;
    const accBeta2 = self.accBeta2.dataSync()[0]!;
    const attrs = {
      lr: self.learningRate,
      beta1: self.beta1,
      beta2: self.beta2,
      epsilon: self.epsilon,
      accBeta1,
      accBeta2,
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        if (!value) return;
        const first = (self.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
        });
        const second = (self.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
        });
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[i]?.tensor
          : variableGradients[name];
        if (gradient == null) return;
        const [x, m, v] = tf
          .engine()
          .runKernel<tf.Tensor[]>(
            ADAM,
            { x: value, m: first.variable, v: second.variable, g: gradient },
            attrs,
          );
        first.variable.assign(m!);
        second.variable.assign(v!);
        value.assign(x!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/**
 * Adam(lr) as tf.train.adam makes it (β1 0.9, β2 0.999, the backend's ε),
 * fused when the active backend has our kernel.
 */
export function createAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.Optimizer {
  if (tf.getKernel(ADAM, tf.getBackend()) === undefined)
    return tf.train.adam(learningRate, beta1, beta2, epsilon);
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
