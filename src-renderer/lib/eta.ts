/** Time left in a run, from its progress and the epochs it already finished. */
export function estimateEta(input: {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  totalEpochs: number;
  batchSize: number;
  samplesPerSecond: number;
  /** Seconds of finished epochs (training and test pass): the truest rate once there is one. */
  epochSeconds?: readonly number[];
}): number | null {
  const { epoch, step, stepsPerEpoch, totalEpochs } = input;
  if (stepsPerEpoch <= 0 || totalEpochs <= 0) return null;
  const remainingSteps = Math.max(0, (totalEpochs - epoch) * stepsPerEpoch + (stepsPerEpoch - step));
  const recent = (input.epochSeconds ?? []).filter((s) => Number.isFinite(s) && s > 0).slice(-3);
  if (recent.length > 0) {
    const perEpoch = recent.reduce((a, b) => a + b, 0) / recent.length;
    return (remainingSteps / stepsPerEpoch) * perEpoch;
  }
  if (input.samplesPerSecond > 0 && input.batchSize > 0) {
    return (remainingSteps * input.batchSize) / input.samplesPerSecond;
  }
  return null;
}

/** "1 h 04 min", "3 min 05 s", "42 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}
