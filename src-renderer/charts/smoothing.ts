/**
 * TensorBoard's loss smoothing: an exponential moving average with weight
 * `weight` ∈ [0, 1), debiased so the curve starts at the first value rather
 * than at 0. Non-finite values are passed through and do not disturb it.
 */
export function smoothSeries(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.slice();
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}
