/** Pixel probabilities in [0, 1] to 0–255 bytes, rounded; values outside [0, 1] (or NaN) are clamped. */
export function toUint8(
  values: ArrayLike<number>,
  out: Uint8Array = new Uint8Array(values.length),
): Uint8Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    // Uint8Array assignment would wrap and truncate; NaN fails both comparisons and becomes 0.
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  return out;
}
