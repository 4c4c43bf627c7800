import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { datasetHash } from '../../../src-main/datasets/hash';
import type { HashInput } from '../../../src-main/datasets/hash';

function input(): HashInput {
  return {
    height: 1,
    width: 2,
    channels: 1,
    train: { images: Uint8Array.from([1, 2, 3, 4]), labels: Uint8Array.from([0, 1]), count: 2 },
    test: { images: Uint8Array.from([5, 6]), labels: Uint8Array.from([1]), count: 1 },
  };
}

describe('datasetHash', () => {
  it('is sha256 over the header then train images, train labels, test images, test labels', async () => {
    const expected = createHash('sha256')
      .update('vae-studio-dataset-v1 train=2 test=1 height=1 width=2 channels=1\n')
      .update(Uint8Array.from([1, 2, 3, 4, 0, 1, 5, 6, 1]))
      .digest('hex');
    expect(await datasetHash(input())).toBe(expected);
    expect(await datasetHash(input())).toBe(expected);
  });

  it('changes with one pixel, one label, or the geometry', async () => {
    const base = await datasetHash(input());
    const pixel = input();
    pixel.test.images[1] = 7;
    const label = input();
    label.train.labels[0] = 2;
    const shape = { ...input(), height: 2, width: 1 };
    const hashes = await Promise.all([pixel, label, shape].map((i) => datasetHash(i)));
    expect(new Set([base, ...hashes]).size).toBe(4);
  });
});
