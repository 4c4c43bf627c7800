/**
 * What the app can hold and train, checked against a file's header before
 * anything is allocated: a small file must not be able to claim gigabytes.
 */

/** Largest image side the app trains on (the folder import's largest size, too). */
export const MAX_IMAGE_SIDE = 256;
/** Bytes of one split's images or labels; above this a set would not fit in one typed array everywhere Node runs. */
export const MAX_DATASET_BYTES = 2 ** 31 - 1;
/**
 * Pixels of one source image in a folder import (about a 50-megapixel photo).
 * Decoding allocates the whole picture before it is shrunk, several at a time.
 */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Deflate cannot expand data more than about 1032 times; a gzip file that claims more is cut short. */
export const MAX_GZIP_RATIO = 1032;

/** `2 GB`, `48 MB`: sizes for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${Math.round(bytes / 2 ** 30)} GB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  if (bytes >= 2 ** 10) return `${Math.round(bytes / 2 ** 10)} KB`;
  return `${bytes} bytes`;
}
