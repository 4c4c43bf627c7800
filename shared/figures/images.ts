/** Turning the snapshot's uint8 image stacks into RGBA pixels for a canvas. */

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Pixels ready for `new ImageData(data, width, height)`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** How many whole images a stack holds. */
export function imageCount(images: Uint8Array, shape: ImageShape): number {
  const size = shape.height * shape.width * shape.channels;
  return size > 0 ? Math.floor(images.length / size) : 0;
}

export interface TileOptions {
  images: Uint8Array;
  shape: ImageShape;
  /** Tiles to draw; defaults to every image in the stack. */
  count?: number;
  cols: number;
  /** Integer upscaling per pixel (nearest neighbour). */
  scale?: number;
  /** Pixels between tiles. */
  gap?: number;
  /** 256×3 lookup table for greyscale stacks; RGB stacks are drawn as they are. */
  lut: Uint8Array;
  /** Tiles with no image (drawn as a hatched placeholder). */
  missing?: (tile: number) => boolean;
  /** RGBA of the gaps and of the background. */
  background?: [number, number, number, number];
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const packedCache = new WeakMap<Uint8Array, Uint32Array>();

/** A 256×3 lookup table as opaque RGBA words (little-endian byte order). */
function packLut(lut: Uint8Array): Uint32Array {
  let packed = packedCache.get(lut);
  if (!packed) {
    packed = new Uint32Array(256);
    for (let v = 0; v < 256; v++) {
      packed[v] =
        ((255 << 24) |
          ((lut[v * 3 + 2] as number) << 16) |
          ((lut[v * 3 + 1] as number) << 8) |
          (lut[v * 3] as number)) >>>
        0;
    }
    packedCache.set(lut, packed);
  }
  return packed;
}

/** Lays `count` images out in a grid of `cols` columns and paints them into one RGBA buffer. */
export function renderTiles(options: TileOptions): RgbaImage {
  const { images, shape, cols, lut } = options;
  const scale = Math.max(1, Math.floor(options.scale ?? 1));
  const gap = options.gap ?? 0;
  const count = options.count ?? imageCount(images, shape);
  const rows = Math.max(1, Math.ceil(count / Math.max(cols, 1)));
  const tileW = shape.width * scale;
  const tileH = shape.height * scale;
  const width = cols * tileW + (cols - 1) * gap;
  const height = rows * tileH + (rows - 1) * gap;
  const data = new Uint8ClampedArray(Math.max(width, 0) * Math.max(height, 0) * 4);
  const bg = options.background ?? [0, 0, 0, 0];
  if (bg[3] !== 0) {
    for (let p = 0; p < data.length; p += 4) {
      data[p] = bg[0];
      data[p + 1] = bg[1];
      data[p + 2] = bg[2];
      data[p + 3] = bg[3];
    }
  }
  const size = shape.height * shape.width * shape.channels;
  const rgb = shape.channels >= 3;
  // One 32-bit write per pixel: RGBA bytes packed as they lie in memory (little-endian).
  const words = littleEndian ? new Uint32Array(data.buffer, data.byteOffset, data.length / 4) : null;
  const packedLut = words ? packLut(lut) : null;
  for (let t = 0; t < count; t++) {
    const x0 = (t % cols) * (tileW + gap);
    const y0 = Math.floor(t / cols) * (tileH + gap);
    const missing = options.missing?.(t) ?? (t + 1) * size > images.length;
    for (let y = 0; y < shape.height; y++) {
      const rowBase = t * size + y * shape.width * shape.channels;
      if (words && packedLut && !missing && !rgb && scale === 1) {
        let w = (y0 + y) * width + x0;
        for (let x = 0; x < shape.width; x++) words[w++] = packedLut[images[rowBase + x] as number] as number;
        continue;
      }
      for (let x = 0; x < shape.width; x++) {
        let r: number;
        let g: number;
        let b: number;
        if (missing) {
          // Diagonal hatching: "no image here", distinct from a black image.
          const on = ((x + y) & 7) < 2;
          r = g = b = on ? 150 : 70;
        } else if (rgb) {
          const k = rowBase + x * shape.channels;
          r = images[k] as number;
          g = images[k + 1] as number;
          b = images[k + 2] as number;
        } else {
          const v = images[rowBase + x] as number;
          r = lut[v * 3] as number;
          g = lut[v * 3 + 1] as number;
          b = lut[v * 3 + 2] as number;
        }
        for (let sy = 0; sy < scale; sy++) {
          let p = ((y0 + y * scale + sy) * width + x0 + x * scale) * 4;
          for (let sx = 0; sx < scale; sx++) {
            data[p] = r;
            data[p + 1] = g;
            data[p + 2] = b;
            data[p + 3] = 255;
            p += 4;
          }
        }
      }
    }
  }
  return { width, height, data };
}

/** The bytes of image `index` of a stack. */
export function imageAt(images: Uint8Array, shape: ImageShape, index: number): Uint8Array {
  const size = shape.height * shape.width * shape.channels;
  return images.subarray(index * size, (index + 1) * size);
}

/** Concatenates images (each `shape`-sized, or null for a blank) into one stack. */
export function stackImages(parts: (Uint8Array | null)[], shape: ImageShape): Uint8Array {
  const size = shape.height * shape.width * shape.channels;
  const out = new Uint8Array(parts.length * size);
  parts.forEach((part, i) => {
    if (part) out.set(part.subarray(0, size), i * size);
  });
  return out;
}
