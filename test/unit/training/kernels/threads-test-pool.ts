import type { ThreadPool } from '../../../../src-main/training/kernels/conv-threads';
import {
  type SharedMemory,
  instantiate,
  kernelModule,
} from '../../../../src-main/training/kernels/wasm-module';

/**
 * A stand-in for the worker-thread pool: `count` instances of a module on one
 * shared memory, "thread" i run after i − 1 on the caller's thread. Each
 * export computes its share of the output from (thread, threads) alone, so this
 * gives the same bits as real threads would — what the thread-count tests
 * check — without depending on worker scheduling.
 */
export function sequentialPool(count: number, memory: SharedMemory): Promise<ThreadPool> {
  const modules: Array<Array<Record<string, (...args: number[]) => void>>> = [];
  return Promise.resolve({
    count,
    load<T>(name: string, fma: boolean) {
      const module = kernelModule(name, fma);
      const instances = Array.from({ length: count }, () =>
        instantiate<Record<string, (...args: number[]) => void>>(module, memory),
      );
      modules.push(instances);
      return { exports: instances[0] as unknown as T, id: modules.length - 1 };
    },
    run(module, fn, args) {
      const instances = modules[module.id];
      if (!instances) throw new Error(`no module ${module.id}`);
      for (let i = 0; i < count; i++) instances[i]![fn]!(...args, i, count);
    },
    close: () => Promise.resolve(),
  });
}
