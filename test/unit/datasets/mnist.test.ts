import { describe, expect, it } from 'vitest';
import { MNIST_HASH, loadMnist } from '../../../src-main/datasets/mnist';
import { listDatasets, loadDataset } from '../../../src-main/datasets/store';

describe('MNIST', () => {
  it('loads 60,000 train and 10,000 test images of 28×28 as uint8', async () => {
    const mnist = await loadMnist();
    expect(mnist.info).toMatchObject({
      name: 'mnist',
      source: 'bundled',
      trainCount: 60000,
      testCount: 10000,
      height: 28,
      width: 28,
      channels: 1,
    });
    expect(mnist.train.count).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect(mnist.train.images).toBeInstanceOf(Uint8Array);
    expect(mnist.train.images.length).toBe(60000 * 784);
    expect(mnist.test.images.length).toBe(10000 * 784);
    expect(mnist.train.labels.length).toBe(60000);
    // The well-known first digits: train[0] is a 5, test[0] a 7.
    expect(mnist.train.labels[0]).toBe(5);
    expect(mnist.test.labels[0]).toBe(7);
    const counts = new Array<number>(10).fill(0);
    for (const label of mnist.train.labels) counts[label] = (counts[label] as number) + 1;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it('is parsed once and hashed to the known constant', async () => {
    const a = await loadMnist();
    const b = await loadDataset({ name: 'mnist', dataDir: '/nonexistent' });
    expect(b).toBe(a);
    expect(a.info.hash).toBe(MNIST_HASH);
    const [listed] = await listDatasets('/nonexistent');
    expect(listed).toEqual(a.info);
  });
});
