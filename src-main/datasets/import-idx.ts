import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { classNamesProblem, parseClassNames } from '../../shared/class-names';
import { DatasetError, fsErrorCode, toDatasetError } from './errors';
import { readIdxSplit } from './idx';
import { knownClassNames } from './known-sets';
import { assertNameFree, saveDataset } from './store';
import type { DatasetImportResult } from './store';

/** Arguments of {@link importIdx}. */
export interface ImportIdxArgs {
  dataDir: string;
  name: string;
  /** One folder holding the four files, or the four files themselves (any order). */
  paths: string[];
  /** Names of labels 0, 1, …; else a labels.txt beside the files, a known set's names, or the numbers. */
  classNames?: string[];
}

/** A file of class names, one per line, read from beside the IDX files when present. */
export const LABELS_FILE = 'labels.txt';
// A class-name file is a few hundred bytes; a bigger one is not what it claims to be.
const MAX_LABELS_FILE_BYTES = 64 * 1024;

async function readLabelsFile(path: string): Promise<string[] | null> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return null;
    if (s.size > MAX_LABELS_FILE_BYTES) {
      throw new DatasetError(
        'invalid_input',
        `${path} is ${s.size} bytes, too large for a list of class names (at most ${MAX_LABELS_FILE_BYTES}); keep one name per line.`,
      );
    }
    return parseClassNames(await readFile(path, 'utf8'));
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return null;
    throw toDatasetError(error, `read ${path}`);
  }
}

/** The class names of an IDX import: given, from labels.txt, known by hash, or the label numbers. */
async function classNamesFor(args: {
  given: string[] | undefined;
  files: Record<Role, string>;
  count: number;
}): Promise<string[]> {
  const { given, files, count } = args;
  if (given !== undefined) {
    const problem = classNamesProblem(given, count);
    if (problem) throw new DatasetError('invalid_input', problem);
    return given;
  }
  const labelsPath = join(dirname(files.trainLabels), LABELS_FILE);
  const fromFile = await readLabelsFile(labelsPath);
  if (fromFile !== null) {
    const problem = classNamesProblem(fromFile, count);
    if (problem) throw new DatasetError('invalid_input', `${labelsPath}: ${problem}`);
    return fromFile;
  }
  const known = await knownClassNames(files);
  if (known !== null && known.length === count) return [...known];
  return Array.from({ length: count }, (_, i) => String(i));
}

type Role = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
const roles: Role[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const roleNames: Record<Role, string> = {
  trainImages: 'train images (e.g. train-images-idx3-ubyte.gz)',
  trainLabels: 'train labels (e.g. train-labels-idx1-ubyte.gz)',
  testImages: 'test images (e.g. t10k-images-idx3-ubyte.gz)',
  testLabels: 'test labels (e.g. t10k-labels-idx1-ubyte.gz)',
};

/**
 * Which of the four files a name is, from the conventions of MNIST, Fashion-MNIST
 * and EMNIST (`train-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte`,
 * `emnist-digits-test-images-idx3-ubyte`, `train-images.idx3-ubyte`…).
 */
export function idxRoleOf(fileName: string): Role | undefined {
  const lower = fileName.toLowerCase();
  const isTest = /t10k|test/.test(lower);
  const isTrain = /train/.test(lower);
  const isImages = /image/.test(lower) || (/idx3/.test(lower) && !/label/.test(lower));
  const isLabels = /label/.test(lower) || (/idx1/.test(lower) && !/image/.test(lower));
  if (isTest === isTrain || isImages === isLabels) return undefined;
  return `${isTrain ? 'train' : 'test'}${isImages ? 'Images' : 'Labels'}`;
}

function looksLikeIdx(fileName: string): boolean {
  return /idx\d|ubyte/i.test(fileName);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    throw toDatasetError(error, `open ${path}`);
  }
}

/** Finds the four files for {@link importIdx}; exported for tests. */
export async function resolveIdxPaths(paths: string[]): Promise<Record<Role, string>> {
  let candidates: string[];
  let fromFolder: string | undefined;
  const [first] = paths;
  if (paths.length === 1 && first !== undefined && (await isDirectory(first))) {
    fromFolder = first;
    let names: string[];
    try {
      names = await readdir(first);
    } catch (error) {
      throw toDatasetError(error, `read the folder ${first}`);
    }
    candidates = names.filter(looksLikeIdx).map((n) => join(first, n));
  } else if (paths.length === 4) {
    candidates = paths;
  } else {
    throw new DatasetError(
      'invalid_input',
      `Got ${paths.length} path(s); choose either one folder holding the IDX files or exactly four files (train and test images and labels).`,
    );
  }
  const found: Partial<Record<Role, string[]>> = {};
  for (const path of candidates) {
    const role = idxRoleOf(basename(path));
    if (role === undefined) {
      if (fromFolder === undefined) {
        throw new DatasetError(
          'invalid_input',
          `Cannot tell from its name whether ${basename(path)} holds train or test images or labels; rename it like train-images-idx3-ubyte or t10k-labels-idx1-ubyte.`,
        );
      }
      continue;
    }
    (found[role] ??= []).push(path);
  }
  const result: Partial<Record<Role, string>> = {};
  for (const role of roles) {
    const matches = found[role] ?? [];
    if (matches.length === 0) {
      const where = fromFolder === undefined ? 'among the chosen files' : `in ${fromFolder}`;
      throw new DatasetError(
        'invalid_input',
        `No file of ${roleNames[role]} was found ${where}; add it or choose the four files yourself.`,
      );
    }
    if (matches.length > 1) {
      throw new DatasetError(
        'invalid_input',
        `Several files look like ${roleNames[role].replace(/ \(.*\)$/, '')} (${matches.map((m) => basename(m)).join(', ')}); keep one or choose the four files yourself.`,
      );
    }
    result[role] = matches[0];
  }
  return result as Record<Role, string>;
}

/**
 * Imports a dataset stored as IDX files (plain or gzip'd), keeping its own
 * train/test split. Classes are named by `classNames`, else by a labels.txt beside
 * the label files, else by a known set's names (Fashion-MNIST), else by number.
 *
 * @throws {DatasetError} `invalid_input` for missing, invalid or mismatched files,
 *   `conflict` for a name in use, `io_error` when writing fails.
 */
export async function importIdx(args: ImportIdxArgs): Promise<DatasetImportResult> {
  await assertNameFree(args.dataDir, args.name);
  const files = await resolveIdxPaths(args.paths);
  const [train, test] = await Promise.all([
    readIdxSplit({ images: files.trainImages, labels: files.trainLabels }),
    readIdxSplit({ images: files.testImages, labels: files.testLabels }),
  ]);
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new DatasetError(
      'invalid_input',
      `The train images (${basename(files.trainImages)}, ${train.height}×${train.width}×${train.channels}) and test images (${basename(files.testImages)}, ${test.height}×${test.width}×${test.channels}) differ in size; choose files of the same dataset.`,
    );
  }
  let maxLabel = 0;
  for (const labels of [train.split.labels, test.split.labels]) {
    for (const label of labels) if (label > maxLabel) maxLabel = label;
  }
  const labels = await classNamesFor({ given: args.classNames, files, count: maxLabel + 1 });
  const info = await saveDataset({
    dataDir: args.dataDir,
    name: args.name,
    source: 'idx',
    height: train.height,
    width: train.width,
    channels: train.channels,
    labels,
    train: train.split,
    test: test.split,
  });
  return { info, skipped: 0, skippedFiles: [] };
}
