import { err, ok, type Result } from '../../shared/result';

/** What `datasets:images` answers for a list of indices. */
export interface ImageBatch {
  images: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

export interface ImageCacheOptions {
  /** Fetches the images at these indices, in this order (one `datasets:images` call). */
  fetch: (indices: number[]) => Promise<Result<ImageBatch>>;
  /** Most indices one fetch takes (the contract's limit). */
  batchLimit?: number;
  /** Most images kept; the oldest go first. */
  capacity?: number;
}

/** Dataset images by index: each fetched once, missing ones in as few calls as the limit allows. */
export interface ImageCache {
  /** The image at `index` when it is already here. */
  peek(index: number): Uint8Array | undefined;
  /** The images at `indices`, in order; one fetch per `batchLimit` indices not yet here or on their way. */
  load(indices: readonly number[]): Promise<Result<Uint8Array[]>>;
  readonly size: number;
}

/** Creates an {@link ImageCache} over a fetch function. */
export function createImageCache(options: ImageCacheOptions): ImageCache {
  const batchLimit = options.batchLimit ?? 1024;
  const capacity = options.capacity ?? 20_000;
  const images = new Map<number, Uint8Array>();
  // An index being fetched maps to its call, so a second hover of it waits rather than asks again.
  const pending = new Map<number, Promise<Result<Map<number, Uint8Array>>>>();

  function keep(index: number, image: Uint8Array): void {
    images.delete(index);
    images.set(index, image);
    if (images.size > capacity) images.delete(images.keys().next().value as number);
  }

  async function fetchChunk(chunk: number[]): Promise<Result<Map<number, Uint8Array>>> {
    try {
      const result = await options.fetch(chunk);
      if (!result.ok) return result;
      const { images: bytes, height, width, channels } = result.value;
      const size = height * width * channels;
      if (result.value.count !== chunk.length || bytes.length < chunk.length * size)
        return err('internal', 'The dataset answered with a different number of images than asked for.');
      const out = new Map<number, Uint8Array>();
      chunk.forEach((index, k) => {
        // A copy, so one image does not keep a whole batch's buffer alive after eviction.
        const image = bytes.slice(k * size, (k + 1) * size);
        out.set(index, image);
        keep(index, image);
      });
      return ok(out);
    } catch (error) {
      return err('internal', error instanceof Error ? error.message : 'The images could not be loaded.');
    } finally {
      for (const index of chunk) pending.delete(index);
    }
  }

  async function load(indices: readonly number[]): Promise<Result<Uint8Array[]>> {
    // Taken now: fetching the others may evict them from a full cache.
    const found = new Map<number, Uint8Array>();
    for (const index of indices) {
      const image = images.get(index);
      if (image) found.set(index, image);
    }
    const missing = [...new Set(indices)].filter((i) => !found.has(i) && !pending.has(i));
    for (let start = 0; start < missing.length; start += batchLimit) {
      const chunk = missing.slice(start, start + batchLimit);
      const call = fetchChunk(chunk);
      for (const index of chunk) pending.set(index, call);
    }
    const waits = new Set<Promise<Result<Map<number, Uint8Array>>>>();
    for (const index of indices) {
      const call = pending.get(index);
      if (call) waits.add(call);
    }
    for (const result of await Promise.all(waits)) {
      if (!result.ok) return result;
      for (const [index, image] of result.value) found.set(index, image);
    }
    const out: Uint8Array[] = [];
    for (const index of indices) {
      const image = found.get(index);
      if (!image) return err('internal', `Image ${index} was not delivered.`);
      out.push(image);
    }
    return ok(out);
  }

  return {
    peek: (index) => images.get(index),
    load,
    get size() {
      return images.size;
    },
  };
}
