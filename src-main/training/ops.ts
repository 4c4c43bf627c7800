import * as tf from '@tensorflow/tfjs-core';

/** Activation of a dense layer. */
export type Activation = 'linear' | 'relu' | 'sigmoid';

/**
 * y = activation(x·W + b). Every dense layer of the engine goes through here so
 * that a faster path (e.g. a custom gradient that avoids wasm's slow transposed
 * matMul) can be swapped in at one place and checked against the plain ops.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  return tf.tidy(() => {
    const y = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
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
