import sharp from 'sharp';

/**
 * Figures as pixel grids: tiles of uint8 images laid out in rows, scaled by
 * an integer factor with nearest-neighbour (each pixel becomes a block, so
 * the digits stay crisp), then PNG-encoded.
 */

/** Pixels of one figure, `height × width × channels` bytes, row-major. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Arguments of {@link tileImages}. */
export interface TileArgs {
  /** `count × tileHeight × tileWidth × channels` bytes, images one after another. */
  images: Uint8Array;
  count: number;
  tileHeight: number;
  tileWidth: number;
  channels: 1 | 3;
  /** Tiles per row. */
  columns: number;
  /** Pixels between tiles and around the grid (before scaling). */
  gap?: number;
  /** Value of the gap pixels; white by default, like the paper background of a plotted figure. */
  background?: number;
}

/** Lays images out in a grid, row by row. */
export function tileImages(args: TileArgs): Raster {
  const { images, count, tileHeight: th, tileWidth: tw, channels: c, columns } = args;
  const gap = args.gap ?? 0;
  const rows = Math.ceil(count / columns);
  const width = columns * tw + (columns + 1) * gap;
  const height = rows * th + (rows + 1) * gap;
  const data = new Uint8Array(width * height * c).fill(args.background ?? 255);
  const tileBytes = th * tw * c;
  if (images.length < count * tileBytes) {
    throw new RangeError(`Expected ${count} images of ${tileBytes} bytes, got ${images.length} bytes.`);
  }
  for (let i = 0; i < count; i++) {
    const x0 = gap + (i % columns) * (tw + gap);
    const y0 = gap + Math.floor(i / columns) * (th + gap);
    for (let y = 0; y < th; y++) {
      const from = i * tileBytes + y * tw * c;
      data.set(images.subarray(from, from + tw * c), ((y0 + y) * width + x0) * c);
    }
  }
  return { width, height, channels: c, data };
}

/** Nearest-neighbour upscaling by an integer factor. */
export function scaleNearest(raster: Raster, factor: number): Raster {
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`Scale factor must be a positive integer.`);
  if (factor === 1) return raster;
  const { width, height, channels: c } = raster;
  const out = new Uint8Array(width * factor * height * factor * c);
  const rowBytes = width * factor * c;
  for (let y = 0; y < height; y++) {
    const row = out.subarray(y * factor * rowBytes, (y * factor + 1) * rowBytes);
    for (let x = 0; x < width; x++) {
      const pixel = raster.data.subarray((y * width + x) * c, (y * width + x + 1) * c);
      for (let k = 0; k < factor; k++) row.set(pixel, (x * factor + k) * c);
    }
    for (let k = 1; k < factor; k++)
      out.copyWithin((y * factor + k) * rowBytes, y * factor * rowBytes, (y * factor + 1) * rowBytes);
  }
  return { width: width * factor, height: height * factor, channels: c, data: out };
}

/** PNG bytes of a raster (greyscale for one channel). */
export async function encodePng(raster: Raster): Promise<Buffer> {
  const image = sharp(raster.data, {
    raw: { width: raster.width, height: raster.height, channels: raster.channels },
  });
  // Without this sharp writes sRGB: three identical channels, three times the pixels.
  return (raster.channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
}
