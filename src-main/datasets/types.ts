import type { DatasetInfo } from '../../shared/contract';

/** One split of a dataset, held as uint8 pixels (never as float32 as a whole). */
export interface DatasetSplit {
  /** `count × height × width × channels` bytes, row-major, 0–255. */
  images: Uint8Array;
  /** One label index per image. */
  labels: Uint8Array;
  count: number;
}

/** A dataset ready for training: its description and both splits. */
export interface LoadedDataset {
  info: DatasetInfo;
  train: DatasetSplit;
  test: DatasetSplit;
}

/** Where a dataset lives: `mnist` is bundled; imported ones are under `<dataDir>/datasets/<name>/`. */
export interface DatasetRef {
  name: string;
  dataDir: string;
}
