import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../../shared/model-spec';
import { DENSE, runDense } from './kernels/dense';

export { FusedAdamOptimizer, createAdam } from './kernels/adam';

export type { Activation } from '../../shared/model-spec';

/** y = activation(x·W + b) with plain tfjs ops: the reference the fast path is tested against. */
export function densePlain(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation,
): tf.Tensor2D {
  return tf.tidy(() => {
    const y = tf.add<tf.Tensor2D>(tf.matMul(x, w), b);
    switch (activation) {
      case 'relu':
        return tf.relu(y);
      case 'sigmoid':
        return tf.sigmoid(y);
      case 'linear':
        return y;
    }
  });
}

/**
 * y = activation(x·W + b). Every dense layer of the engine goes through here.
 * On backends with our kernels installed (wasm, cpu: kernels/index.ts) it is one fused kernel whose
 * gradient avoids wasm's slow transposed matMul and computes ∂x, ∂W, ∂b only
 * when needed; elsewhere (tfjs-node, which has fast kernels of its own) it is
 * the plain ops. Both compute the same function (test/unit/ops).
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  if (
    x.dtype === 'float32' &&
    w.dtype === 'float32' &&
    b.dtype === 'float32' &&
    x.rank === 2 &&
    w.rank === 2 &&
    b.rank === 1 &&
    tf.getKernel(DENSE, tf.getBackend()) !== undefined
  ) {
    return runDense(x, w, b, activation);
  }
  return densePlain(x, w, b, activation);
}
