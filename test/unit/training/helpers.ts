import type { Hyperparams } from '../../../shared/hyperparams';
import { presetById } from '../../../shared/hyperparams';
import type { DatasetSplit, LoadedDataset } from '../../../src-main/datasets/types';
import { mulberry32 } from '../../../src-main/datasets/random';

/** A split of `count` images of simple, learnable shapes: a bar whose position is the label. */
function syntheticSplit(args: { count: number; side: number; seed: number }): DatasetSplit {
  const { count, side, seed } = args;
  const random = mulberry32(seed);
  const images = new Uint8Array(count * side * side);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(random() * 10);
    labels[i] = label;
    const column = Math.floor((label / 10) * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const onBar = Math.abs(x - column) <= 1;
        images[i * side * side + y * side + x] = onBar
          ? 200 + Math.floor(random() * 55)
          : Math.floor(random() * 20);
      }
    }
  }
  return { images, labels, count };
}

/** A small MNIST-shaped dataset (28×28×1 by default). */
export function syntheticDataset(args: { train: number; test: number; side?: number }): LoadedDataset {
  const side = args.side ?? 28;
  return {
    info: {
      name: 'synthetic',
      source: 'idx',
      hash: 'synthetic',
      trainCount: args.train,
      testCount: args.test,
      height: side,
      width: side,
      channels: 1,
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      createdAt: '2024-01-01T00:00:00.000Z',
    },
    train: syntheticSplit({ count: args.train, side, seed: 1 }),
    test: syntheticSplit({ count: args.test, side, seed: 2 }),
  };
}

/** The Keras-blog preset with overrides. */
export function hyperparams(overrides: Partial<Hyperparams> = {}): Hyperparams {
  return { ...presetById('keras-blog').hyperparams, ...overrides };
}
