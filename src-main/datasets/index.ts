/**
 * The datasets module: the bundled MNIST, IDX imports, image-folder imports,
 * and the helpers the training loop uses to batch and shuffle.
 */
export { DatasetError } from './errors';
export type { DatasetErrorCode } from './errors';
export { mulberry32, shuffledIndices } from './random';
export { fillBatch, pixelsPerImage } from './batch';
export type { FillBatchArgs } from './batch';
export { datasetHash } from './hash';
export { MNIST_NAME, MNIST_HASH, loadMnist, mnistInfo } from './mnist';
export {
  assertNameFree,
  deleteDataset,
  listDatasets,
  loadDataset,
  setClassNames,
  validateDatasetName,
} from './store';
export type { DatasetImportResult } from './store';
export { importIdx } from './import-idx';
export type { ImportIdxArgs } from './import-idx';
export { importFolder } from './import-folder';
export type { ImportFolderArgs } from './import-folder';
export type { DatasetRef, DatasetSplit, LoadedDataset } from './types';
