import { afterEach, describe, expect, test } from 'vitest';
import { KernelThreadError, KernelThreads } from '../../../../src-main/training/kernels/threads';
import { sharedMemory } from '../../../../src-main/training/kernels/wasm-module';

// The build (scripts/build-wasm.mjs) must have run: npm run build:node.
interface Probe {
  heapBase(): number;
}

describe('kernel threads', () => {
  let pool: KernelThreads | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  for (const count of [1, 2, 3]) {
    test(`${count} thread(s) share one memory and meet at a barrier`, async () => {
      pool = await KernelThreads.start(count, sharedMemory(1 << 16));
      const probe = pool.load<Probe>('probe', false);
      const base = probe.exports.heapBase();
      const values = base;
      const n = 1000;
      const sums = values + 4 * n;
      const barrierAt = sums + 4 * count;
      for (let round = 0; round < 3; round++) {
        new Int32Array(pool.memory.buffer, values, n).fill(0);
        pool.run(probe, 'shareAndSum', [values, n, sums, barrierAt]);
        expect(Array.from(new Int32Array(pool.memory.buffer, sums, count))).toEqual(
          Array.from({ length: count }, () => (n * (n + 1)) / 2),
        );
      }
    });
  }

  test('a kernel that traps on one thread fails the job, naming the thread; the pool refuses further jobs', async () => {
    pool = await KernelThreads.start(2, sharedMemory(1 << 16));
    const probe = pool.load<Probe>('probe', false);
    const error = (() => {
      try {
        pool.run(probe, 'trapOn', [1]);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(KernelThreadError);
    expect((error as Error).message).toMatch(
      /^Kernel thread 1 of 2 failed: .*unreachable.*resumed from its last checkpoint\.$/,
    );
    expect(() => pool!.run(probe, 'trapOn', [5])).toThrow(/Kernel thread 1 of 2 failed/);
  });

  for (const which of [0, 1]) {
    test(`thread ${which} trapping while the others wait at a barrier fails the job instead of hanging it`, async () => {
      pool = await KernelThreads.start(3, sharedMemory(1 << 16));
      const probe = pool.load<Probe>('probe', false);
      const barrierAt = probe.exports.heapBase();
      expect(() => pool!.run(probe, 'trapBeforeBarrier', [which, barrierAt])).toThrow(
        new RegExp(`^Kernel thread ${which} of 3 failed: .*unreachable`),
      );
    });
  }

  test('a thread that dies fails the next job instead of hanging it', async () => {
    pool = await KernelThreads.start(3, sharedMemory(1 << 16));
    const probe = pool.load<Probe>('probe', false);
    expect(() => pool!.stopThreadForTest(2)).toThrow(
      /^Kernel thread 2 of 3 failed: kernel thread 2 stopped\./,
    );
    expect(() => pool!.run(probe, 'trapOn', [5])).toThrow(KernelThreadError);
  });

  test('an unknown kernel is refused before any thread starts it', async () => {
    pool = await KernelThreads.start(2, sharedMemory(1 << 16));
    const probe = pool.load<Probe>('probe', false);
    expect(() => pool!.run(probe, 'nope', [])).toThrow('No kernel "nope" in module 0.');
    pool.run(probe, 'trapOn', [5]);
  });
});
