import type * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from './backend-access';

/**
 * Identity on wasm that shares the input's storage, as tfjs' cpu backend
 * does, instead of copying it. The engine clones every tensor a gradient
 * saves (saveTensorsForBackwardMode), so the stock kernel copied each layer's
 * input, weights and output on every training step (~4% of a reference step).
 * Sharing is safe because no kernel writes into its inputs: every tfjs kernel
 * and ours returns new storage, and the backend frees shared storage only
 * when its reference count reaches zero.
 */

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

export const identityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { x: TensorInfo }; backend: tf.KernelBackend }): TensorInfo => {
    const { x } = args.inputs;
    (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }) as unknown as tf.KernelFunc,
};
