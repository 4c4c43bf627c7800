import * as os from 'node:os';
import { TrainingError } from '../errors';
import { KernelThreadError, KernelThreads } from './threads';
import { fmaInUse } from './wasm-kernels';
import {
  type CompiledModule,
  type SharedMemory,
  ensureMemory,
  instantiate,
  kernelModule,
  sharedMemory,
} from './wasm-module';

/**
 * The conv model's big products (wasm/conv.ts) on every thread of a run. tfjs'
 * wasm heap is not shared memory, so each kernel copies its operands from the
 * heap into a shared memory, runs there on all threads at once (each thread
 * its share of the output elements), and copies the result back. The copies
 * are timed (`stats`) because they are the price of threading here.
 *
 * Shared memory layout: the module's statics; each thread's gemm scratch;
 * offset tables (built once per geometry, kept); a ring of input copies; then,
 * per kernel call, its other operands (reused by the next call).
 *
 * The ring: about half the floats a conv step copies in are tensors copied
 * before in the same step (a layer's input in the forward pass is its filter
 * gradient's input in the backward pass; one dy feeds both gradients), so an
 * input stays in the ring, found by its tfjs dataId (tensors are immutable
 * while they live), until newer copies overwrite it.
 */

/** The exports of wasm/conv.ts; every threaded one takes (…, thread, threads) last. */
export interface ConvExports {
  heapBase(): number;
  scratchBytes(): number;
  gemm(...args: number[]): void;
  conv2d(...args: number[]): void;
  convFilter(...args: number[]): void;
  convInputCols(...args: number[]): void;
  col2im(...args: number[]): void;
}

/** What runs an export on every thread: thread i calls exports[fn](...args, i, count). */
export interface KernelRunner {
  readonly count: number;
  run(fn: keyof ConvExports, args: readonly number[]): void;
  close(): Promise<void>;
}

/** The pool of worker threads (threads.ts' KernelThreads), as far as this file uses it. */
export interface ThreadPool {
  readonly count: number;
  load<T>(name: string, fma: boolean): { exports: T; id: number };
  run(module: { id: number }, fn: string, args: readonly number[]): void;
  close(): Promise<void>;
}

/** Starts a pool of `count` threads on `memory` (threads.ts' KernelThreads.start by default). */
export type StartPool = (count: number, memory: SharedMemory) => Promise<ThreadPool>;

/** One thread: the caller's, calling the exports directly. */
class LocalRunner implements KernelRunner {
  readonly count = 1;
  constructor(private readonly exports: ConvExports) {}
  run(fn: keyof ConvExports, args: readonly number[]): void {
    this.exports[fn](...args, 0, 1);
  }
  async close(): Promise<void> {}
}

class PoolRunner implements KernelRunner {
  constructor(
    private readonly pool: ThreadPool,
    private readonly module: { id: number },
  ) {}
  get count(): number {
    return this.pool.count;
  }
  run(fn: keyof ConvExports, args: readonly number[]): void {
    this.pool.run(this.module, fn, args);
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

const align = (n: number): number => (n + 15) & ~15;

/** The smallest ring of input copies: more than the conv preset copies in one step (~48 MB). */
const minRingBytes = 64 << 20;

/** Time spent per kind of work, for the bench (ms since start or resetStats). */
export interface ConvThreadStats {
  copyInMs: number;
  copyOutMs: number;
  runMs: number;
  calls: number;
}

export class ConvThreads {
  readonly stats: ConvThreadStats = { copyInMs: 0, copyOutMs: 0, runMs: 0, calls: 0 };
  private readonly scratch: number;
  /** End of the kept region (tables); a call's operands start here. */
  private kept: number;
  private readonly tables = new Map<string, number>();
  private closed = false;
  // The ring of input copies at [ringStart, ringStart + ringBytes): an input copied at
  // ring position v (counted from the ring's start, never wrapping; memory at
  // ringStart + v mod ringBytes) is intact while ringTop ≤ v + ringBytes.
  private ringStart = 0;
  private ringBytes = 0;
  private ringTop = 0;
  private ring = new WeakMap<object, { v: number; floats: number }>();

  private constructor(
    readonly memory: SharedMemory,
    private readonly runner: KernelRunner,
    exports: ConvExports,
    readonly fma: boolean,
    private readonly minRingBytes: number,
  ) {
    this.scratch = align(exports.heapBase());
    this.kept = this.scratch + runner.count * exports.scratchBytes();
    this.resetRing(0);
  }

  /**
   * `threads` threads (the caller's counts as one) for the conv kernels;
   * more than one needs `startPool`. Close it when the run ends.
   */
  static async start(options: {
    threads: number;
    fma: boolean;
    startPool?: StartPool;
    /** The ring of input copies' least size (tests make it small). */
    minRingBytes?: number;
  }): Promise<ConvThreads> {
    const { threads, fma } = options;
    const ring = options.minRingBytes ?? minRingBytes;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`threads must be a whole number ≥ 1 (got ${threads})`);
    const memory = sharedMemory(1 << 20);
    const module: CompiledModule = kernelModule('conv', fma);
    const local = instantiate<ConvExports>(module, memory);
    if (threads === 1) return new ConvThreads(memory, new LocalRunner(local), local, fma, ring);
    const startPool = options.startPool ?? ((count, shared) => KernelThreads.start(count, shared));
    const pool = await startPool(threads, memory);
    try {
      const loaded = pool.load<ConvExports>('conv', fma);
      return new ConvThreads(memory, new PoolRunner(pool, loaded), local, fma, ring);
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  get threads(): number {
    return this.runner.count;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.runner.close();
  }

  resetStats(): void {
    Object.assign(this.stats, { copyInMs: 0, copyOutMs: 0, runMs: 0, calls: 0 });
  }

  /** A kept table of `ints` int32s, built once per key by `fill`. */
  table(key: string, ints: number, fill: (t: Int32Array) => void): number {
    const cached = this.tables.get(key);
    if (cached !== undefined) return cached;
    const at = this.kept;
    this.kept = align(at + ints * 4);
    this.resetRing(this.ringBytes);
    ensureMemory(this.memory, this.kept);
    fill(new Int32Array(this.memory.buffer, at, ints));
    this.tables.set(key, at);
    return at;
  }

  /** Empties the ring of input copies and places it (`bytes` long) after the tables. */
  private resetRing(bytes: number): void {
    this.ringStart = this.kept;
    this.ringBytes = bytes;
    this.ringTop = 0;
    this.ring = new WeakMap();
    ensureMemory(this.memory, this.ringStart + bytes);
  }

  /**
   * Shared copies of one call's input tensors (`key`: the tensor's dataId;
   * `from`: its float index in `heap`), copied unless still in the ring from
   * an earlier call. Call before `operands`.
   */
  inputs(
    heap: Float32Array,
    tensors: ReadonlyArray<{ key: object; from: number; floats: number }>,
  ): number[] {
    const sizes = tensors.map((t) => align(t.floats * 4));
    const total = sizes.reduce((a, b) => a + b, 0);
    // Room for the call's inputs twice over: copying them never overwrites one of them.
    if (2 * total > this.ringBytes) this.resetRing(Math.max(this.minRingBytes, 2 * total));
    const cap = this.ringBytes;
    const found = (key: object, floats: number) => {
      const hit = this.ring.get(key);
      return hit && hit.floats === floats && this.ringTop <= hit.v + cap ? hit : null;
    };
    // Where the misses would go; a hit they would overwrite makes the call copy everything afresh.
    let top = this.ringTop;
    const place = (size: number) => {
      let v = top;
      if ((v % cap) + size > cap) v = Math.ceil(v / cap) * cap; // no copy wraps around the end
      top = v + size;
      return v;
    };
    const hits = tensors.map((t) => found(t.key, t.floats));
    for (const [i, hit] of hits.entries()) if (!hit) place(sizes[i]!);
    if (hits.some((hit) => hit && top > hit.v + cap)) {
      this.resetRing(cap);
      hits.fill(null);
    }
    top = this.ringTop;
    const out = tensors.map((t, i) => {
      const hit = hits[i];
      if (hit) return this.ringStart + (hit.v % cap);
      const v = place(sizes[i]!);
      const at = this.ringStart + (v % cap);
      this.copyIn(at, heap, t.from, t.floats);
      this.ring.set(t.key, { v, floats: t.floats });
      return at;
    });
    this.ringTop = top;
    return out;
  }

  /**
   * Lays out one call's operands (sizes in floats) after the ring and
   * returns their addresses; valid until the next call.
   */
  operands(floats: readonly number[]): number[] {
    const out: number[] = [];
    let at = this.ringStart + this.ringBytes;
    for (const n of floats) {
      out.push(at);
      at = align(at + n * 4);
    }
    ensureMemory(this.memory, at);
    return out;
  }

  /** Copies `n` floats from `src` (at float index `from`) into shared memory at byte `at`. */
  copyIn(at: number, src: Float32Array, from: number, n: number): void {
    const t0 = performance.now();
    new Float32Array(this.memory.buffer, at, n).set(src.subarray(from, from + n));
    this.stats.copyInMs += performance.now() - t0;
  }

  /** Copies `n` floats at byte `at` of shared memory into `dst` at float index `to`. */
  copyOut(at: number, dst: Float32Array, to: number, n: number): void {
    const t0 = performance.now();
    dst.set(new Float32Array(this.memory.buffer, at, n), to);
    this.stats.copyOutMs += performance.now() - t0;
  }

  /** Runs wasm/conv.ts' `fn` on every thread; the gemm scratch argument (all but col2im's) is added here. */
  run(fn: Exclude<keyof ConvExports, 'heapBase' | 'scratchBytes'>, args: readonly number[]): void {
    if (this.closed) throw new Error('the kernel threads of this run are closed');
    const t0 = performance.now();
    try {
      this.runner.run(fn, fn === 'col2im' ? args : [...args, this.scratch]);
    } catch (error) {
      // A thread died or a kernel trapped: this run cannot go on, a new one (or a resume) can.
      if (error instanceof KernelThreadError)
        throw new TrainingError('unavailable', error.message, { cause: error });
      throw error;
    }
    this.stats.runMs += performance.now() - t0;
    this.stats.calls += 1;
  }
}

let active: ConvThreads | null = null;

/** The run's thread count for a `threads` setting: empty means every core; never more than the cores there are. */
export function kernelThreadCount(setting: number | null): number {
  const cores = Math.max(1, os.availableParallelism());
  return Math.min(setting ?? cores, cores);
}

/**
 * The kernel threads of a training run, made active for the conv kernels:
 * for the conv model on wasm with `threads` > 1; otherwise none, and the
 * kernels keep their single-threaded path on tfjs' heap (faster on one thread:
 * no copies). Stop them with {@link stopRunThreads} when the run ends.
 */
export async function startRunThreads(options: {
  threads: number;
  arch: string;
  backend: string;
  startPool?: StartPool;
}): Promise<ConvThreads | null> {
  const { threads, arch, backend } = options;
  if (!Number.isInteger(threads) || threads < 1)
    throw new TrainingError('invalid_argument', `Threads must be a whole number ≥ 1 (got ${threads}).`);
  if (threads === 1 || arch !== 'conv' || backend !== 'wasm') return null;
  const started = await ConvThreads.start({
    threads,
    fma: fmaInUse(),
    ...(options.startPool ? { startPool: options.startPool } : {}),
  });
  setConvThreads(started);
  return started;
}

/** Ends what {@link startRunThreads} started (nothing for null). */
export async function stopRunThreads(threads: ConvThreads | null): Promise<void> {
  if (!threads) return;
  if (active === threads) setConvThreads(null);
  await threads.close();
}

/** The kernel threads the conv kernels use (one run at a time per thread), or none: their single-threaded path. */
export function setConvThreads(threads: ConvThreads | null): void {
  active = threads;
}

export function activeConvThreads(): ConvThreads | null {
  return active;
}
