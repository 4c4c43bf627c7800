/**
 * Colour maps for greyscale images, as 256-entry lookup tables (r, g, b per
 * intensity). Names follow matplotlib, as in the reference notebook.
 */

export const colormapNames = ['Greys_r', 'gnuplot', 'viridis'] as const;
export type ColormapName = (typeof colormapNames)[number];

// matplotlib's viridis sampled at every 8th of its 256 entries (plus the last),
// as 0–255 integers; linear interpolation stays within 2/255 of the full table.
const viridisStops: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 13, 96],
  [72, 24, 106],
  [72, 35, 116],
  [71, 45, 123],
  [69, 55, 129],
  [66, 64, 134],
  [62, 73, 137],
  [59, 82, 139],
  [55, 91, 141],
  [51, 99, 141],
  [47, 107, 142],
  [44, 114, 142],
  [41, 122, 142],
  [38, 130, 142],
  [35, 137, 142],
  [33, 145, 140],
  [31, 152, 139],
  [31, 160, 136],
  [34, 167, 133],
  [40, 174, 128],
  [50, 182, 122],
  [63, 188, 115],
  [78, 195, 107],
  [94, 201, 98],
  [112, 207, 87],
  [132, 212, 75],
  [152, 216, 62],
  [173, 220, 48],
  [194, 223, 35],
  [216, 226, 25],
  [236, 229, 27],
  [253, 231, 37],
];
const viridisPositions = [...Array.from({ length: 32 }, (_, i) => i * 8), 255];

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The colour of intensity `t` ∈ [0, 1] as 0–255 integers. */
export function colormapRgb(name: ColormapName, t: number): [number, number, number] {
  const x = clamp01(t);
  switch (name) {
    case 'Greys_r': {
      const v = Math.round(x * 255);
      return [v, v, v];
    }
    case 'gnuplot':
      // matplotlib's gnuplot: (sqrt(x), x³, sin(2πx)), each clipped to [0, 1].
      return [
        Math.round(clamp01(Math.sqrt(x)) * 255),
        Math.round(clamp01(x * x * x) * 255),
        Math.round(clamp01(Math.sin(2 * Math.PI * x)) * 255),
      ];
    case 'viridis': {
      const pos = x * 255;
      let k = 0;
      while (k < viridisPositions.length - 2 && pos > (viridisPositions[k + 1] as number)) k++;
      const a = viridisPositions[k] as number;
      const b = viridisPositions[k + 1] as number;
      const u = (pos - a) / (b - a);
      const ca = viridisStops[k] as readonly [number, number, number];
      const cb = viridisStops[k + 1] as readonly [number, number, number];
      return [
        Math.round(ca[0] + (cb[0] - ca[0]) * u),
        Math.round(ca[1] + (cb[1] - ca[1]) * u),
        Math.round(ca[2] + (cb[2] - ca[2]) * u),
      ];
    }
  }
}

const lutCache = new Map<ColormapName, Uint8Array>();

/** A 256×3 lookup table: entry `v` holds the colour of byte intensity `v`. Cached per name. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = lutCache.get(name);
  if (!lut) {
    lut = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) lut.set(colormapRgb(name, v / 255), v * 3);
    lutCache.set(name, lut);
  }
  return lut;
}

/** A CSS linear-gradient showing the map, for pickers and colour bars. */
export function colormapGradient(name: ColormapName, steps = 8): string {
  const stops: string[] = [];
  for (let i = 0; i <= steps; i++) {
    const [r, g, b] = colormapRgb(name, i / steps);
    stops.push(`rgb(${r}, ${g}, ${b}) ${Math.round((i / steps) * 100)}%`);
  }
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
