import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../../src-main/training/backend';
import { DecoderCache } from '../../../src-main/training/decode';
import { type EpochResult, manifoldPoints, train } from '../../../src-main/training/loop';
import { manifoldPoints as planeManifoldPoints, planeForView } from '../../../src-renderer/figures/latent';
import { hyperparams, syntheticDataset } from './helpers';

/**
 * The manifold of a snapshot (made by the training loop) and the one the
 * Explore view decodes on demand (`runs:decode` with the renderer's points)
 * must put the same latent point in the same cell, or the figure changes
 * layout when the user moves a slider.
 */

beforeAll(async () => {
  await initBackend({ choice: 'wasm', arch: 'mlp' });
});

describe('manifold points', () => {
  test.each([1, 2, 3])('the loop and the renderer lay out the same points (latent dim %i)', (latentDim) => {
    const plane = planeForView({ kind: 'dims', dims: [0, Math.min(1, latentDim - 1)] }, latentDim, null);
    for (const [n, range] of [
      [1, 2],
      [4, 2],
      [7, 3.5],
      [20, 2],
    ] as const) {
      const fromLoop = manifoldPoints({ n, range, latentDim }).points;
      const fromRenderer = Float32Array.from(planeManifoldPoints(plane, n, range).flat());
      expect(Array.from(fromRenderer)).toEqual(Array.from(fromLoop));
    }
  });
});

describe('manifold decoded on demand', () => {
  test('matches the snapshot cell by cell', async () => {
    const n = 4;
    const range = 3;
    const epochs: EpochResult[] = [];
    await train({
      runId: 'manifold',
      dataset: syntheticDataset({ train: 128, test: 32 }),
      hyperparams: hyperparams({ epochs: 1, batchSize: 32, hidden: [32], seed: 9 }),
      figures: { galleryCount: 2, manifoldSize: n, manifoldRange: range, priorCount: 2 },
      callbacks: { onEpoch: (e) => void epochs.push(e) },
    });
    const [epoch] = epochs as [EpochResult];
    const { snapshot, checkpoint } = epoch;
    expect(snapshot.manifold).toMatchObject({ n, range, dims: [0, 1] });

    const decoders = new DecoderCache();
    const plane = planeForView({ kind: 'dims', dims: [0, 1] }, 2, null);
    const pixels = snapshot.imageShape.height * snapshot.imageShape.width * snapshot.imageShape.channels;
    const cellDiff = (decoded: Uint8Array, cell: number, snapshotCell: number): number => {
      let max = 0;
      for (let p = 0; p < pixels; p++) {
        const a = decoded[cell * pixels + p] as number;
        const b = snapshot.manifold.images[snapshotCell * pixels + p] as number;
        max = Math.max(max, Math.abs(a - b));
      }
      return max;
    };

    const points = planeManifoldPoints(plane, n, range);
    const { images, count } = await decoders.decode({
      key: 'epoch 1',
      spec: checkpoint.spec,
      weights: checkpoint.weights,
      points: Float32Array.from(points.flat()),
      count: points.length,
    });
    decoders.clear();
    expect(count).toBe(n * n);
    // The snapshot and runs:decode both run the model's generator; allow a grey level of rounding.
    for (let cell = 0; cell < n * n; cell++) expect(cellDiff(images, cell, cell)).toBeLessThanOrEqual(1);

    // The check can fail: the same cells with rows flipped (row 0 at the bottom) differ.
    const flipped = (cell: number) => (n - 1 - Math.floor(cell / n)) * n + (cell % n);
    const worst = Math.max(
      ...Array.from({ length: n * n }, (_, cell) => cellDiff(images, cell, flipped(cell))),
    );
    expect(worst).toBeGreaterThan(8);
  });
});
