/**
 * Which of n ticks carry a label at this stride: every stride-th from the
 * first, and always the last (both ends of the range stay readable), dropping
 * the one before the last when it would crowd it.
 */
export function strideLabels(n: number, stride: number): (i: number) => boolean {
  const lastRegular = Math.floor((n - 1) / stride) * stride;
  return (i) => {
    if (i === n - 1) return true;
    if (i % stride !== 0) return false;
    return i !== lastRegular || n - 1 - i >= stride;
  };
}
