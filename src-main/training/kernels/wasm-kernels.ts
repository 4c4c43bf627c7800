import { type AdamScalars, adamRange, kernelsModuleBytes } from './wasm-gemm';

/**
 * Our WebAssembly module (assembled in wasm-gemm.ts and wasm-elementwise.ts)
 * instantiated on the heap of a tfjs-backend-wasm module: the SIMD gemm
 * C (+)= op(A)·op(B), Adam, the im2col gather / col2im scatter and the
 * element-wise kernels, every operand a float32 array at a heap address.
 */

/** The WebAssembly API (not in the ES lib that tsconfig.node.json uses). */
interface WebAssemblyMemoryLike {
  readonly buffer: ArrayBuffer;
}
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number }) => WebAssemblyMemoryLike;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** What we use of the Emscripten module behind tfjs-backend-wasm 4.22. */
export interface EmscriptenModuleLike {
  asm?: { memory?: WebAssemblyMemoryLike };
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

export interface GemmArgs {
  /** Heap byte addresses. */
  a: number;
  b: number;
  c: number;
  m: number;
  k: number;
  n: number;
  /** A is stored [k, m] (use Aᵀ). */
  transA: boolean;
  /** B is stored [n, k] (use Bᵀ). */
  transB: boolean;
  /** C += product instead of C = product. */
  accumulate: boolean;
}

type GemmFn = (
  pA: number,
  rsA: number,
  csA: number,
  pB: number,
  pC: number,
  ldc: number,
  m: number,
  k: number,
  np: number,
  acc: number,
  panelStride: number,
  rowStride: number,
) => void;

type AdamFn = (...args: number[]) => void;
type RowsFn = (dst: number, src: number, table: number, rows: number, len: number) => void;
type I32Fn = (...args: number[]) => void;

/** The exports of wasm-elementwise.ts (see there for what each computes). */
interface ElementwiseExports {
  pack8: I32Fn;
  packT8: I32Fn;
  biasRelu: I32Fn;
  biasLinear: I32Fn;
  colSum: I32Fn;
  reluGrad: I32Fn;
  rowScale: I32Fn;
  bce: I32Fn;
}

let fmaAllowed = false;

/**
 * Lets modules built after this call use relaxed-SIMD fused multiply-add when
 * the engine validates it (Node 20 needs --experimental-wasm-relaxed-simd);
 * results then differ from the unfused ones by float32 rounding only. The
 * wasm backend turns it on (backend.ts) unless VAE_STUDIO_WASM_FMA=0.
 */
export function allowRelaxedSimd(allow: boolean): void {
  fmaAllowed = allow;
}

/** Whether modules built now use fused multiply-add (allowed, and the engine has relaxed SIMD). */
export function fmaInUse(): boolean {
  return fmaAllowed && relaxedSimdSupported();
}

/** Whether this engine compiles our relaxed-SIMD (FMA) kernels. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(kernelsModuleBytes(true));
}

/** Our wasm module bound to one tfjs-backend-wasm heap. Addresses are heap byte offsets. */
export class WasmKernels {
  private readonly gemmFn: GemmFn;
  private scratchPtr = 0;
  private scratchBytes = 0;
  readonly fma: boolean;

  constructor(private readonly mod: EmscriptenModuleLike) {
    const memory = mod.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory))
      throw new Error('tfjs-backend-wasm does not expose its memory');
    let bytes = kernelsModuleBytes(false);
    this.fma = false;
    if (fmaAllowed) {
      const fmaBytes = kernelsModuleBytes(true);
      if (WebAssembly.validate(fmaBytes)) {
        bytes = fmaBytes;
        this.fma = true;
      }
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    this.gemmFn = instance.exports['gemm'] as GemmFn;
    this.adamFn = instance.exports['adam'] as AdamFn;
    this.gatherFn = instance.exports['gather'] as RowsFn;
    this.scatterAddFn = instance.exports['scatterAdd'] as RowsFn;
    this.ew = instance.exports as unknown as ElementwiseExports;
  }

  private readonly ew: ElementwiseExports;

  /** y = act(y + b) in place for y [rows, n], n divisible by 4. */
  biasActivate(y: number, b: number, rows: number, n: number, relu: boolean): void {
    (relu ? this.ew.biasRelu : this.ew.biasLinear)(y, b, rows, n >> 2);
  }

  /** out [n] = Σ_rows x [rows, n], n divisible by 4. */
  colSum(out: number, x: number, rows: number, n: number): void {
    this.ew.colSum(out, x, rows, n >> 2);
  }

  /** out = y > 0 ? dy : 0 over the first 4·⌊n/4⌋ floats (the caller does the rest). */
  reluGrad(out: number, dy: number, y: number, n: number): void {
    this.ew.reluGrad(out, dy, y, n >> 2);
  }

  /** out[r] = g[r]·s[r] for rows of n floats, n divisible by 4. */
  rowScale(out: number, g: number, s: number, rows: number, n: number): void {
    this.ew.rowScale(out, g, s, rows, n >> 2);
  }

  /** Per-row BCE from logits and its gradient (wasm-elementwise.ts' bce), n divisible by 4. */
  bce(args: {
    x: number;
    logits: number;
    grad: number;
    out: number;
    rows: number;
    n: number;
    limit: number;
  }): void {
    this.ew.bce(args.x, args.logits, args.grad, args.out, args.rows, args.n >> 2, args.limit);
  }

  private readonly adamFn: AdamFn;
  private readonly gatherFn: RowsFn;
  private readonly scatterAddFn: RowsFn;

  /**
   * Adam on n floats at heap addresses (bytes, 16-aligned not required);
   * s = [b1, c1, b2, c2, d1, d2, eps, nlr] as in wasm-gemm.ts' adam.
   */
  adam(
    p: { x: number; m: number; v: number; g: number; xo: number; mo: number; vo: number; n: number },
    s: AdamScalars,
  ): void {
    const n4 = p.n >> 2;
    this.adamFn(p.x, p.m, p.v, p.g, p.xo, p.mo, p.vo, n4, ...s);
    // The last n % 4 elements in JS.
    const view = (at: number): Float32Array => this.mod.HEAPF32.subarray(at >> 2, (at >> 2) + p.n);
    const arrays = {
      x: view(p.x),
      m: view(p.m),
      v: view(p.v),
      g: view(p.g),
      xo: view(p.xo),
      mo: view(p.mo),
      vo: view(p.vo),
    };
    adamRange(arrays, n4 * 4, p.n, s);
  }

  /** Row r of dst (len floats) = the len floats at src + table[r] bytes, or zeros where table[r] < 0. */
  gather(dst: number, src: number, table: number, rows: number, len: number): void {
    this.gatherFn(dst, src, table, rows, len);
  }

  /** dst + table[r] bytes += row r of src (len floats each), for table[r] ≥ 0. */
  scatterAdd(dst: number, src: number, table: number, rows: number, len: number): void {
    this.scatterAddFn(dst, src, table, rows, len);
  }

  /** A heap block owned by the caller (free with free()). */
  malloc(bytes: number): number {
    const p = this.mod._malloc(bytes);
    if (!p) throw new Error(`out of wasm memory (${bytes} bytes)`);
    return p;
  }

  free(ptr: number): void {
    this.mod._free(ptr);
  }

  get heapF32(): Float32Array {
    return this.mod.HEAPF32;
  }

  get heapI32(): Int32Array {
    return new Int32Array(this.mod.HEAPF32.buffer);
  }

  /** A heap block of at least `bytes`, reused across calls (16-byte aligned by malloc). */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.mod._free(this.scratchPtr);
      const size = Math.max(bytes, this.scratchBytes * 2, 1 << 16);
      this.scratchPtr = this.mod._malloc(size);
      if (!this.scratchPtr) throw new Error(`out of wasm memory (${size} bytes)`);
      this.scratchBytes = size;
    }
    return this.scratchPtr;
  }

  /** C (+)= op(A)·op(B). */
  gemm(args: GemmArgs): void {
    const { m, k, n } = args;
    if (m === 0 || n === 0) return;
    const np = Math.ceil(n / 8);
    const npad = np * 8;
    const direct = n === npad;
    const rsA = args.transA ? 4 : k * 4;
    const csA = args.transA ? m * 4 : 4;
    const packedBytes = np * k * 32;
    const cBytes = direct ? 0 : m * npad * 4;
    const base = this.scratch(packedBytes + cBytes);
    // Pack B into [np][k][8], zero padded: full panels in wasm, a last partial one here.
    const full = Math.floor(n / 8);
    if (args.transB) this.ew.packT8(base, args.b, k, full);
    else this.ew.pack8(base, args.b, k, n * 4, full);
    if (full < np) this.packPartialPanel(args, base, full);
    // Without padding C is written in place; with it, into scratch rows of npad floats, copied below.
    const c = direct ? args.c : base + packedBytes;
    const ldc = direct ? n * 4 : npad * 4;
    const acc = direct && args.accumulate;
    // Blocks of rows × depth small enough to stay in cache while every panel of B
    // passes over them: the wasm kernel loops panels outside rows, so an unblocked
    // A of thousands of rows (im2col, or Aᵀ with a long k) was read from memory
    // once per panel — a third of the conv model's step.
    for (let i0 = 0; i0 < m; i0 += gemmBlock.rows) {
      const rows = Math.min(gemmBlock.rows, m - i0);
      for (let k0 = 0; k0 < k; k0 += gemmBlock.depth) {
        const depth = Math.min(gemmBlock.depth, k - k0);
        this.gemmFn(
          args.a + i0 * rsA + k0 * csA,
          rsA,
          csA,
          base + k0 * 32,
          c + i0 * ldc,
          ldc,
          rows,
          depth,
          np,
          acc || k0 > 0 ? 1 : 0,
          k * 32,
          32,
        );
      }
    }
    if (direct) return;
    const h = this.mod.HEAPF32;
    const out = args.c >> 2;
    const s = c >> 2;
    for (let i = 0; i < m; i++) {
      const row = out + i * n;
      const srow = s + i * npad;
      if (args.accumulate) for (let j = 0; j < n; j++) h[row + j]! += h[srow + j]!;
      else for (let j = 0; j < n; j++) h[row + j] = h[srow + j]!;
    }
  }

  /** The last panel of B when n is not a multiple of 8: its columns, then zeros. */
  private packPartialPanel(args: GemmArgs, base: number, p: number): void {
    const { k, n } = args;
    const heap = this.mod.HEAPF32;
    const b = args.b >> 2;
    const j0 = p * 8;
    const width = n - j0;
    let dst = (base >> 2) + p * k * 8;
    for (let kk = 0; kk < k; kk++, dst += 8) {
      for (let jj = 0; jj < width; jj++)
        heap[dst + jj] = args.transB ? heap[b + (j0 + jj) * k + kk]! : heap[b + kk * n + j0 + jj]!;
      for (let jj = width; jj < 8; jj++) heap[dst + jj] = 0;
    }
  }
}

/** Rows and depth (k) of one call of the wasm gemm; see WasmKernels.gemm. */
export const gemmBlock = { rows: 256, depth: 128 };

const byModule = new WeakMap<object, WasmKernels>();

/** Our module bound to this tfjs-backend-wasm module (instantiated once per module). */
export function wasmKernelsFor(mod: EmscriptenModuleLike): WasmKernels {
  let k = byModule.get(mod);
  if (!k) {
    k = new WasmKernels(mod);
    byModule.set(mod, k);
  }
  return k;
}
