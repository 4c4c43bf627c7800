import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { DatasetError, toDatasetError } from './errors';
import { formatBytes, MAX_DATASET_BYTES, MAX_IMAGE_SIDE, MAX_INPUT_PIXELS } from './limits';
import { shuffledIndices } from './random';
import { classNamesProblem } from '../../shared/class-names';
import { assertNameFree, saveDataset } from './store';
import type { DatasetImportResult } from './store';

/** Arguments of {@link importFolder}. */
export interface ImportFolderArgs {
  dataDir: string;
  name: string;
  /** A folder with one subfolder per label, each holding PNG or JPEG images. */
  path: string;
  /** Every image is resized to `size × size` (4–{@link MAX_IMAGE_SIDE}). */
  size: number;
  /** 1 for greyscale, 3 for RGB. */
  channels: 1 | 3;
  /** Fixes which images go to the test split; 0 by default. */
  seed?: number;
  /** Names of the classes in subfolder order (sorted); the subfolder names by default. */
  classNames?: string[];
  /** Called after each image (decoded or skipped). */
  onProgress?: (done: number, total: number) => void;
}

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;
/** Share of the images put in the test split. */
export const TEST_FRACTION = 1 / 6;
const MAX_LABELS = 256;
const MAX_SKIPPED_NAMES = 5;

interface ListedFile {
  label: number;
  /** Relative to the imported folder, for messages. */
  relative: string;
  absolute: string;
}

const collator = new Intl.Collator('en', { numeric: true });

function isImageFile(name: string): boolean {
  return (
    !name.startsWith('.') && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase())
  );
}

async function listEntries(
  root: string,
): Promise<{ labels: string[]; files: ListedFile[]; others: string[] }> {
  let top;
  try {
    top = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw toDatasetError(error, `read the folder ${root}`);
  }
  const labelDirs = top
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(collator.compare);
  const labels: string[] = [];
  const files: ListedFile[] = [];
  // Files of a label that are not PNG or JPEG: left out, but said, so none vanishes without a word.
  const others: string[] = [];
  for (const dir of labelDirs) {
    let names: string[];
    try {
      const entries = (await readdir(join(root, dir), { withFileTypes: true }))
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort(collator.compare);
      names = entries.filter(isImageFile);
      for (const n of entries) if (!isImageFile(n)) others.push(`${dir}/${n}`);
    } catch (error) {
      throw toDatasetError(error, `read the folder ${join(root, dir)}`);
    }
    if (names.length === 0) continue;
    const label = labels.length;
    labels.push(dir);
    for (const n of names) files.push({ label, relative: `${dir}/${n}`, absolute: join(root, dir, n) });
  }
  if (files.length === 0) {
    const loose = top.some((e) => e.isFile() && isImageFile(e.name));
    throw new DatasetError(
      'invalid_input',
      loose
        ? `${root} has images but no label subfolders; put each label's images in a subfolder named after the label.`
        : `${root} contains no PNG or JPEG images in subfolders; choose a folder with one subfolder of images per label.`,
    );
  }
  if (labels.length > MAX_LABELS) {
    throw new DatasetError(
      'invalid_input',
      `${root} has ${labels.length} label subfolders but at most ${MAX_LABELS} are supported; merge or remove some.`,
    );
  }
  return { labels, files, others };
}

/** A file left out for a reason worth saying (not merely unreadable). */
class SkipReason extends Error {}

/**
 * Decodes one image file to `size × size × channels` bytes; rejects for
 * unreadable or corrupt files, and with a {@link SkipReason} for an image
 * too large to decode, found from its header before any pixel is allocated.
 */
async function decodeImage(args: { file: string; size: number; channels: 1 | 3 }): Promise<Buffer> {
  // A few bytes of PNG can declare a huge canvas: read the header before decoding.
  const { width = 0, height = 0 } = await sharp(args.file).metadata();
  if (width * height > MAX_INPUT_PIXELS) {
    throw new SkipReason(
      `${width}×${height} pixels, more than the ${MAX_INPUT_PIXELS / 1e6}-megapixel limit`,
    );
  }
  // rotate() applies EXIF orientation (phone photos); flatten() puts transparent
  // pixels on black, like the background of MNIST-style sets. The pixel limit
  // again here, in case the file changed since its header was read.
  let pipeline = sharp(args.file, { limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .flatten({ background: '#000000' })
    .resize(args.size, args.size, { fit: 'fill' });
  pipeline = args.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== args.channels || data.length !== args.size * args.size * args.channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
  }
  return data;
}

/**
 * Imports a folder of images: each subfolder is a label (sorted by name, numbers
 * in numeric order), each PNG or JPEG in it an example. Images of any size up
 * to {@link MAX_INPUT_PIXELS} pixels and any mode (greyscale, RGB, with alpha,
 * 16-bit) are accepted: all are stretched to `size × size` and converted to
 * greyscale or RGB. A seeded 1/6 of the readable images (at least one) becomes
 * the test split. Files that cannot be decoded, are larger than that, or are
 * not PNG or JPEG files are skipped and reported (with the reason when it is
 * not plain unreadability), not fatal; hidden files are ignored.
 *
 * @throws {DatasetError} `invalid_input` for a folder without usable images,
 *   `not_found` for a missing folder, `conflict` for a name in use, `io_error` when writing fails.
 */
export async function importFolder(args: ImportFolderArgs): Promise<DatasetImportResult> {
  const { size, channels } = args;
  if (!Number.isInteger(size) || size < 4 || size > MAX_IMAGE_SIDE) {
    throw new DatasetError(
      'invalid_input',
      `The image size must be a whole number from 4 to ${MAX_IMAGE_SIDE}, not ${size}; choose another size.`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new DatasetError(
      'invalid_input',
      `Channels must be 1 (greyscale) or 3 (RGB), not ${String(channels)}; choose one of the two.`,
    );
  }
  await assertNameFree(args.dataDir, args.name);
  const listed = await listEntries(args.path);
  const { files, others } = listed;
  let { labels } = listed;
  if (args.classNames !== undefined) {
    // Checked before any image is decoded: a wrong list fails at once.
    const problem = classNamesProblem(args.classNames, labels.length);
    if (problem) {
      throw new DatasetError(
        'invalid_input',
        `${problem} The subfolders, in order, are: ${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''}.`,
      );
    }
    labels = args.classNames;
  }
  const total = files.length;
  const pixels = size * size * channels;
  if (total * pixels > MAX_DATASET_BYTES) {
    throw new DatasetError(
      'invalid_input',
      `${total} images of ${size}×${size}×${channels} would take more than ${formatBytes(MAX_DATASET_BYTES)}; choose a smaller size or fewer images.`,
    );
  }

  const all = new Uint8Array(total * pixels);
  const decoded = new Uint8Array(total);
  const reasons = new Map<number, string>();
  let skipped = 0;
  let next = 0;
  let done = 0;
  // Set when a worker fails (e.g. onProgress threw), so the others stop instead of decoding on.
  let stopped = false;
  const worker = async (): Promise<void> => {
    try {
      while (!stopped && next < total) {
        const i = next++;
        const file = files[i] as ListedFile;
        try {
          all.set(await decodeImage({ file: file.absolute, size, channels }), i * pixels);
          decoded[i] = 1;
        } catch (error) {
          if (error instanceof SkipReason) reasons.set(i, error.message);
          skipped++;
        }
        done++;
        args.onProgress?.(done, total);
      }
    } catch (error) {
      stopped = true;
      throw error;
    }
  };
  // A few decodes in flight keep libvips' threads busy without opening every file at once.
  const concurrency = Math.min(total, Math.max(2, Math.min(8, availableParallelism() * 2)));
  await Promise.all(Array.from({ length: concurrency }, worker));

  // Named after the loop, in folder order, because workers finish out of order.
  const skippedFiles: string[] = [];
  const keptFiles: ListedFile[] = [];
  files.forEach((file, i) => {
    if (decoded[i] === 1) {
      // Compact in place: kept images move towards the front, never past an unread one.
      if (keptFiles.length !== i) all.copyWithin(keptFiles.length * pixels, i * pixels, (i + 1) * pixels);
      keptFiles.push(file);
    } else if (skippedFiles.length < MAX_SKIPPED_NAMES) {
      const reason = reasons.get(i);
      skippedFiles.push(reason === undefined ? file.relative : `${file.relative} (${reason})`);
    }
  });
  const kept = keptFiles.length;
  const unreadable = skippedFiles.slice(0, 3);
  for (const other of others) {
    if (skippedFiles.length < MAX_SKIPPED_NAMES) skippedFiles.push(`${other} (not a PNG or JPEG file)`);
  }
  skipped += others.length;
  if (kept === 0) {
    throw new DatasetError(
      'invalid_input',
      `None of the ${total} images in ${args.path} could be read (e.g. ${unreadable.join(', ')}); check that they are valid PNG or JPEG files.`,
    );
  }
  if (kept < 2) {
    throw new DatasetError(
      'invalid_input',
      `${args.path} has only ${kept} readable image, too few to make both a train and a test split; add more images.`,
    );
  }

  // The split depends only on the seed and the readable files in folder order,
  // so corrupt files can never leave a split empty.
  const order = shuffledIndices(kept, args.seed ?? 0);
  const testCount = Math.max(1, Math.round(kept * TEST_FRACTION));
  const isTest = new Uint8Array(kept);
  for (let i = 0; i < testCount; i++) isTest[order[i] as number] = 1;
  const testImages = new Uint8Array(testCount * pixels);
  const testLabels = new Uint8Array(testCount);
  const trainLabels = new Uint8Array(kept - testCount);
  let t = 0;
  let r = 0;
  keptFiles.forEach((file, i) => {
    const from = i * pixels;
    if (isTest[i] === 1) {
      testImages.set(all.subarray(from, from + pixels), t * pixels);
      testLabels[t++] = file.label;
    } else {
      // Train images stay in the big buffer, compacted in place (no second copy of the set).
      if (r !== i) all.copyWithin(r * pixels, from, from + pixels);
      trainLabels[r++] = file.label;
    }
  });
  const train = { images: all.subarray(0, r * pixels), labels: trainLabels, count: r };
  const test = { images: testImages, labels: testLabels, count: t };
  const info = await saveDataset({
    dataDir: args.dataDir,
    name: args.name,
    source: 'folder',
    height: size,
    width: size,
    channels,
    labels,
    train,
    test,
  });
  return { info, skipped, skippedFiles };
}
