import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng, scaleNearest, tileImages } from '../../../src-main/export/images';

describe('figure rasters', () => {
  it('tiles images row by row with a gap', () => {
    // Three 1×2 images, two per row, gap 1 (background 9).
    const r = tileImages({
      images: Uint8Array.of(1, 2, 3, 4, 5, 6),
      count: 3,
      tileHeight: 1,
      tileWidth: 2,
      channels: 1,
      columns: 2,
      gap: 1,
      background: 9,
    });
    expect([r.width, r.height]).toEqual([7, 5]);
    expect(Array.from(r.data)).toEqual([
      9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 9, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    ]);
  });

  it('scales by an integer factor, nearest-neighbour, for RGB too', () => {
    const r = scaleNearest({ width: 2, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3, 4, 5, 6) }, 2);
    expect([r.width, r.height]).toEqual([4, 2]);
    const row = [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6];
    expect(Array.from(r.data)).toEqual([...row, ...row]);
    expect(() => scaleNearest(r, 1.5)).toThrow(RangeError);
  });

  it('refuses fewer bytes than the tiles need', () => {
    expect(() =>
      tileImages({
        images: new Uint8Array(3),
        count: 2,
        tileHeight: 1,
        tileWidth: 2,
        channels: 1,
        columns: 2,
      }),
    ).toThrow(/Expected 2 images/);
  });

  it('encodes grey rasters as one-channel PNGs and RGB as three', async () => {
    const grey = await sharp(
      await encodePng({ width: 2, height: 2, channels: 1, data: Uint8Array.of(0, 85, 170, 255) }),
    ).metadata();
    expect([grey.format, grey.channels]).toEqual(['png', 1]);
    const rgb = await sharp(
      await encodePng({ width: 1, height: 1, channels: 3, data: Uint8Array.of(255, 0, 0) }),
    ).metadata();
    expect(rgb.channels).toBe(3);
  });
});
