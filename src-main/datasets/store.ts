import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { classNamesProblem } from '../../shared/class-names';
import type { DatasetInfo } from '../../shared/contract';
import { datasetNamePattern, datasetNameRule, isDatasetName } from '../../shared/names';
import { DatasetError, fsErrorCode, toDatasetError } from './errors';
import { datasetHash } from './hash';
import { MNIST_NAME, loadMnist, mnistInfo } from './mnist';
import type { DatasetRef, DatasetSplit, LoadedDataset } from './types';

/*
 * On-disk format of an imported dataset, `<dataDir>/datasets/<name>/`:
 *   meta.json         { format, version, info: DatasetInfo }
 *   train-images.bin  trainCount × height × width × channels bytes, row-major (HWC)
 *   train-labels.bin  trainCount bytes
 *   test-images.bin, test-labels.bin  likewise
 * Raw bytes rather than IDX so a load is four reads with no parsing; the sizes
 * are checked against meta.json on every load.
 */

const FORMAT = 'vae-studio-dataset';
const VERSION = 1;
const META_FILE = 'meta.json';
const FILES = {
  trainImages: 'train-images.bin',
  trainLabels: 'train-labels.bin',
  testImages: 'test-images.bin',
  testLabels: 'test-labels.bin',
} as const;
const STAGING_PREFIX = '.importing-';
const DELETING_PREFIX = '.deleting-';
// A staging folder this old belongs to an import that crashed, not a running one.
const STALE_STAGING_MS = 24 * 60 * 60 * 1000;

// Names Windows refuses as file or folder names, whatever the extension.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

const infoSchema = z.object({
  name: z.string().regex(datasetNamePattern),
  source: z.enum(['bundled', 'idx', 'folder']),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  trainCount: z.number().int().min(0),
  testCount: z.number().int().min(0),
  height: z.number().int().min(1),
  width: z.number().int().min(1),
  channels: z.union([z.literal(1), z.literal(3)]),
  labels: z.array(z.string()).min(1).max(256),
  createdAt: z.string(),
});

const metaSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  info: infoSchema,
});

/** What an import produced: the new dataset and the files it could not read. */
export interface DatasetImportResult {
  info: DatasetInfo;
  /** Number of files skipped because they could not be read or decoded. */
  skipped: number;
  /** A few of the skipped files (relative to the imported folder), for the message to the user. */
  skippedFiles: string[];
}

/** Folder holding every imported dataset. */
export function datasetsDir(dataDir: string): string {
  return join(dataDir, 'datasets');
}

/**
 * Checks that `name` can be a new dataset's folder name.
 *
 * @throws {DatasetError} `invalid_input` for a name that is not 1–64 letters,
 *   digits, `-` or `_`; `conflict` for the reserved name `mnist`.
 */
export function validateDatasetName(name: string): void {
  if (!isDatasetName(name) || WINDOWS_RESERVED.test(name)) {
    throw new DatasetError('invalid_input', `"${name}" cannot be a dataset name; use ${datasetNameRule}.`);
  }
  if (name.toLowerCase() === MNIST_NAME) {
    throw new DatasetError(
      'conflict',
      `The name "${MNIST_NAME}" is reserved for the bundled MNIST set; choose another name.`,
    );
  }
}

async function existingNames(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(datasetsDir(dataDir), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') return [];
    throw toDatasetError(error, `read the datasets folder ${datasetsDir(dataDir)}`);
  }
}

/**
 * Checks that a dataset may be imported under `name`: a valid name, not
 * reserved, not taken (compared without case, as macOS and Windows do).
 *
 * @throws {DatasetError} `invalid_input` or `conflict`.
 */
export async function assertNameFree(dataDir: string, name: string): Promise<void> {
  validateDatasetName(name);
  const lower = name.toLowerCase();
  const taken = (await existingNames(dataDir)).find((n) => n.toLowerCase() === lower);
  if (taken !== undefined) {
    throw new DatasetError(
      'conflict',
      `A dataset named "${taken}" already exists; choose another name or delete it first.`,
    );
  }
}

async function removeStaleStaging(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names
      .filter((n) => n.startsWith(STAGING_PREFIX) || n.startsWith(DELETING_PREFIX))
      .map(async (n) => {
        try {
          const s = await stat(join(dir, n));
          if (now - s.mtimeMs > STALE_STAGING_MS || n.startsWith(DELETING_PREFIX)) {
            await rm(join(dir, n), { recursive: true, force: true });
          }
        } catch {
          // Best effort: a leftover we cannot remove is hidden from the list anyway.
        }
      }),
  );
}

/** Arguments of {@link saveDataset}. */
export interface SaveDatasetArgs {
  dataDir: string;
  name: string;
  source: 'idx' | 'folder';
  height: number;
  width: number;
  channels: 1 | 3;
  labels: string[];
  train: DatasetSplit;
  test: DatasetSplit;
}

/**
 * Writes a dataset under `<dataDir>/datasets/<name>/`: everything goes to a
 * hidden staging folder first, which is renamed into place only when complete,
 * so an error or a crash never leaves a half-written dataset in the list.
 *
 * @throws {DatasetError} `conflict` when the name was taken meanwhile, `io_error` when writing fails.
 */
export async function saveDataset(args: SaveDatasetArgs): Promise<DatasetInfo> {
  validateDatasetName(args.name);
  const hash = await datasetHash(args);
  const info: DatasetInfo = {
    name: args.name,
    source: args.source,
    hash,
    trainCount: args.train.count,
    testCount: args.test.count,
    height: args.height,
    width: args.width,
    channels: args.channels,
    labels: args.labels,
    createdAt: new Date().toISOString(),
  };
  const dir = datasetsDir(args.dataDir);
  const staging = join(dir, `${STAGING_PREFIX}${args.name}-${randomBytes(6).toString('hex')}`);
  const target = join(dir, args.name);
  try {
    await mkdir(dir, { recursive: true });
    await removeStaleStaging(dir);
    await mkdir(staging);
    await Promise.all([
      writeFile(join(staging, FILES.trainImages), args.train.images),
      writeFile(join(staging, FILES.trainLabels), args.train.labels),
      writeFile(join(staging, FILES.testImages), args.test.images),
      writeFile(join(staging, FILES.testLabels), args.test.labels),
    ]);
    // meta.json last: a folder without it is never listed.
    await writeFile(
      join(staging, META_FILE),
      `${JSON.stringify({ format: FORMAT, version: VERSION, info }, null, 2)}\n`,
    );
    await assertNameFree(args.dataDir, args.name);
    try {
      await rename(staging, target);
    } catch (error) {
      const code = fsErrorCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') {
        throw new DatasetError(
          'conflict',
          `A dataset named "${args.name}" already exists; choose another name or delete it first.`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw toDatasetError(error, `write the dataset "${args.name}" to ${dir}`);
  }
  return info;
}

async function readMeta(folder: string, name: string): Promise<DatasetInfo> {
  let text: string;
  try {
    text = await readFile(join(folder, META_FILE), 'utf8');
  } catch (error) {
    if (fsErrorCode(error) === 'ENOENT') {
      throw new DatasetError(
        'not_found',
        `There is no dataset named "${name}"; import it first or pick another one.`,
        {
          cause: error,
        },
      );
    }
    throw toDatasetError(error, `read the dataset "${name}"`);
  }
  let parsed: z.infer<typeof metaSchema>;
  try {
    parsed = metaSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new DatasetError(
      'invalid_input',
      `The dataset "${name}" is damaged (its meta.json is invalid); delete it and import it again.`,
      {
        cause: error,
      },
    );
  }
  // The folder name is what the user picks and loads by, even if meta.json says otherwise.
  return { ...parsed.info, name };
}

/**
 * Every dataset the engine can train on: the bundled MNIST first, then the
 * imported ones by name. A folder whose meta.json is missing or invalid is
 * skipped rather than failing the whole list.
 *
 * @throws {DatasetError} `io_error` when the datasets folder cannot be read.
 */
export async function listDatasets(dataDir: string): Promise<DatasetInfo[]> {
  const names = await existingNames(dataDir);
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }));
  const imported = await Promise.all(
    names.map((name) => readMeta(join(datasetsDir(dataDir), name), name).catch(() => undefined)),
  );
  return [mnistInfo(), ...imported.filter((info): info is DatasetInfo => info !== undefined)];
}

function asBytes(buffer: Buffer): Uint8Array {
  // A plain Uint8Array view: the same bytes, without Buffer's methods leaking into callers.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

async function loadImported(ref: DatasetRef): Promise<LoadedDataset> {
  if (!isDatasetName(ref.name)) {
    throw new DatasetError(
      'not_found',
      `There is no dataset named "${ref.name}"; import it first or pick another one.`,
    );
  }
  const folder = join(datasetsDir(ref.dataDir), ref.name);
  const info = await readMeta(folder, ref.name);
  const read = async (file: string): Promise<Uint8Array> => {
    try {
      return asBytes(await readFile(join(folder, file)));
    } catch (error) {
      throw new DatasetError(
        'invalid_input',
        `The dataset "${ref.name}" is damaged (${file} cannot be read); delete it and import it again.`,
        {
          cause: error,
        },
      );
    }
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read(FILES.trainImages),
    read(FILES.trainLabels),
    read(FILES.testImages),
    read(FILES.testLabels),
  ]);
  const pixels = info.height * info.width * info.channels;
  const sizesOk =
    trainImages.length === info.trainCount * pixels &&
    trainLabels.length === info.trainCount &&
    testImages.length === info.testCount * pixels &&
    testLabels.length === info.testCount;
  const labelsOk = [trainLabels, testLabels].every((labels) => labels.every((l) => l < info.labels.length));
  if (!sizesOk || !labelsOk) {
    throw new DatasetError(
      'invalid_input',
      `The dataset "${ref.name}" is damaged (its files do not match meta.json); delete it and import it again.`,
    );
  }
  return {
    info,
    train: { images: trainImages, labels: trainLabels, count: info.trainCount },
    test: { images: testImages, labels: testLabels, count: info.testCount },
  };
}

/**
 * Loads a dataset for training: MNIST from the bundled package (parsed once per
 * process), others from `<dataDir>/datasets/<name>/`.
 *
 * @throws {DatasetError} `not_found` for an unknown name, `invalid_input` for a damaged dataset.
 */
export async function loadDataset(ref: DatasetRef): Promise<LoadedDataset> {
  if (ref.name === MNIST_NAME) return loadMnist();
  return loadImported(ref);
}

/**
 * Renames the classes of an imported dataset. meta.json is replaced whole (a new
 * file renamed over the old one), so a crash leaves either the old names or the new.
 *
 * @throws {DatasetError} `conflict` for the bundled MNIST, `not_found` for an unknown name,
 *   `invalid_input` for a list of the wrong length or with blank, long or repeated names.
 */
export async function setClassNames(args: {
  dataDir: string;
  name: string;
  classNames: string[];
}): Promise<DatasetInfo> {
  if (args.name === MNIST_NAME) {
    throw new DatasetError(
      'conflict',
      'The bundled MNIST set keeps its digit names; import a copy to rename its classes.',
    );
  }
  if (!isDatasetName(args.name)) {
    throw new DatasetError(
      'not_found',
      `There is no dataset named "${args.name}"; import it first or pick another one.`,
    );
  }
  const folder = join(datasetsDir(args.dataDir), args.name);
  const info = await readMeta(folder, args.name);
  const problem = classNamesProblem(args.classNames, info.labels.length);
  if (problem) throw new DatasetError('invalid_input', `${problem} Nothing was changed.`);
  const next: DatasetInfo = { ...info, labels: [...args.classNames] };
  const temp = join(folder, `${META_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify({ format: FORMAT, version: VERSION, info: next }, null, 2)}\n`);
    await rename(temp, join(folder, META_FILE));
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw toDatasetError(error, `save the class names of "${args.name}"`);
  }
  return next;
}

/**
 * Deletes an imported dataset. It is first renamed to a hidden folder, so it
 * leaves the list at once even if removing its files is slow or fails midway.
 *
 * @throws {DatasetError} `conflict` for the bundled MNIST, `not_found` for an unknown name.
 */
export async function deleteDataset(dataDir: string, name: string): Promise<void> {
  if (name === MNIST_NAME) {
    throw new DatasetError('conflict', 'The bundled MNIST set cannot be deleted.');
  }
  if (!isDatasetName(name) || !(await existingNames(dataDir)).includes(name)) {
    throw new DatasetError('not_found', `There is no dataset named "${name}"; nothing was deleted.`);
  }
  const dir = datasetsDir(dataDir);
  const doomed = join(dir, `${DELETING_PREFIX}${name}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(join(dir, name), doomed);
  } catch (error) {
    throw toDatasetError(error, `delete the dataset "${name}"`);
  }
  await rm(doomed, { recursive: true, force: true }).catch(() => undefined);
}
