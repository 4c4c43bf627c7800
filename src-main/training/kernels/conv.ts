import * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, type TensorInfo, input, wasmArrays } from './backend-access';
import { type ConvThreads, activeConvThreads } from './conv-threads';
import type { WasmKernels } from './wasm-kernels';

/**
 * Convolutions for tfjs' wasm backend, as im2col + our SIMD gemm:
 *
 *   Conv2D (replaces XNNPACK's, ~3× slower on these shapes on one thread)
 *     y = im2col(x) · W
 *
 *   Conv2DBackpropFilter (missing in wasm 4.22: the conv model could not train)
 *     dW [KH·KW·Cin, Cout] = im2col(x)ᵀ · dy
 *   Conv2DBackpropInput (wasm 4.22's is a naive loop, ~0.2–0.4 s a layer at batch 128;
 *   it is also conv2dTranspose's forward pass)
 *     dx = col2im(dy · Wᵀ)
 *
 * im2col and col2im are a gather and a scatter-add of Cin-float rows with a
 * table of offsets built once per geometry. The batch is processed in chunks
 * so that the column matrix stays under ~16 MB. NHWC, dilation 1 (what the
 * app's models use); anything else goes to the built-in kernel or throws.
 */

interface Geometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** Floats of the column matrix per chunk of the batch (16 MB). */
export const maxColsFloats = 4 << 20;

function geometry(convInfo: tf.backend_util.Conv2DInfo): Geometry {
  if (convInfo.dataFormat !== 'channelsLast') throw new Error('only NHWC convolutions are supported here');
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1)
    throw new Error('only dilation 1 is supported here');
  return {
    batch: convInfo.batchSize,
    inH: convInfo.inHeight,
    inW: convInfo.inWidth,
    inC: convInfo.inChannels,
    outH: convInfo.outHeight,
    outW: convInfo.outWidth,
    outC: convInfo.outChannels,
    kH: convInfo.filterHeight,
    kW: convInfo.filterWidth,
    strideH: convInfo.strideHeight,
    strideW: convInfo.strideWidth,
    padTop: convInfo.padInfo.top,
    padLeft: convInfo.padInfo.left,
  };
}

/** Images per chunk so that the column matrix stays under the budget. */
function chunkSize(g: Geometry): number {
  const perImage = g.outH * g.outW * g.kH * g.kW * g.inC;
  return Math.max(1, Math.min(g.batch, Math.floor(maxColsFloats / Math.max(perImage, 1))));
}

/** Offset tables on the heap, per kernel module and geometry (they are small and reused every step). */
const tables = new WeakMap<WasmKernels, Map<string, number>>();

/**
 * Heap address of an Int32 table: for each output pixel of `images` images
 * (n, oh, ow) and tap (kh, kw), the byte offset of input pixel
 * (n, oh·sh + kh − padTop, ow·sw + kw − padLeft, 0) from the chunk's base, or −1 (padding).
 */
function tableFor(k: WasmKernels, g: Geometry, images: number): number {
  let byGeometry = tables.get(k);
  if (!byGeometry) {
    byGeometry = new Map();
    tables.set(k, byGeometry);
  }
  const key = [
    images,
    g.inH,
    g.inW,
    g.inC,
    g.outH,
    g.outW,
    g.kH,
    g.kW,
    g.strideH,
    g.strideW,
    g.padTop,
    g.padLeft,
  ].join(',');
  const cached = byGeometry.get(key);
  if (cached !== undefined) return cached;
  const rows = images * g.outH * g.outW * g.kH * g.kW;
  const ptr = k.malloc(rows * 4);
  const t = k.heapI32;
  let r = ptr >> 2;
  for (let n = 0; n < images; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH + kh - g.padTop;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW + kw - g.padLeft;
            t[r++] =
              ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW
                ? -1
                : ((n * g.inH + ih) * g.inW + iw) * g.inC * 4;
          }
        }
      }
    }
  }
  byGeometry.set(key, ptr);
  return ptr;
}

/** One chunk of the batch: its first image, its rows of the column matrix, and a heap block for them. */
interface Chunk {
  /** Byte offset of the chunk's first image in the input [batch, inH, inW, inC]. */
  inOffset: number;
  /** Byte offset of the chunk's first image in the output [batch, outH, outW, outC]. */
  outOffset: number;
  /** Rows of the column matrix: output pixels of the chunk's images. */
  rows: number;
  /** The column matrix [rows, K] (freed after the callback). */
  cols: number;
  /** The chunk's offset table for gather / scatterAdd (tableFor). */
  table: number;
  first: boolean;
}

/** Runs `each` on chunks of the batch whose column matrix stays under the budget. */
function inChunks(k: WasmKernels, g: Geometry, each: (chunk: Chunk) => void): void {
  const K = g.kH * g.kW * g.inC;
  const nb = chunkSize(g);
  const pixelsPerImage = g.outH * g.outW;
  for (let n0 = 0; n0 < g.batch; n0 += nb) {
    const images = Math.min(nb, g.batch - n0);
    const rows = images * pixelsPerImage;
    const cols = k.malloc(rows * K * 4);
    try {
      each({
        inOffset: n0 * g.inH * g.inW * g.inC * 4,
        outOffset: n0 * pixelsPerImage * g.outC * 4,
        rows,
        cols,
        table: tableFor(k, g, images),
        first: n0 === 0,
      });
    } finally {
      k.free(cols);
    }
  }
}

/** dW = im2col(x)ᵀ·dy, accumulated over batch chunks, into the heap at `out`. */
export function convBackpropFilterWasm(
  k: WasmKernels,
  g: Geometry,
  x: number,
  dy: number,
  out: number,
): void {
  const taps = g.kH * g.kW;
  inChunks(k, g, (c) => {
    k.gather(c.cols, x + c.inOffset, c.table, c.rows * taps, g.inC);
    const dims = { m: taps * g.inC, k: c.rows, n: g.outC };
    k.gemm({
      a: c.cols,
      b: dy + c.outOffset,
      c: out,
      ...dims,
      transA: true,
      transB: false,
      accumulate: !c.first,
    });
  });
}

/**
 * y = im2col(x)·W, into the heap at `out`: wasm 4.22's Conv2D (XNNPACK) runs
 * the conv model's shapes at ~8 GFLOPS on one thread; this runs at our
 * gemm's speed. W [KH, KW, Cin, Cout] is already the [K, Cout] matrix.
 */
export function conv2dWasm(k: WasmKernels, g: Geometry, x: number, filter: number, out: number): void {
  const taps = g.kH * g.kW;
  inChunks(k, g, (c) => {
    k.gather(c.cols, x + c.inOffset, c.table, c.rows * taps, g.inC);
    const dims = { m: c.rows, k: taps * g.inC, n: g.outC };
    k.gemm({
      a: c.cols,
      b: filter,
      c: out + c.outOffset,
      ...dims,
      transA: false,
      transB: false,
      accumulate: false,
    });
  });
}

/** dx = col2im(dy·Wᵀ), into the heap at `out` (zeroed here). */
export function convBackpropInputWasm(
  k: WasmKernels,
  g: Geometry,
  dy: number,
  filter: number,
  out: number,
): void {
  const taps = g.kH * g.kW;
  const outFloats = g.batch * g.inH * g.inW * g.inC;
  k.heapF32.fill(0, out >> 2, (out >> 2) + outFloats);
  inChunks(k, g, (c) => {
    // W is stored [K, Cout]: op(B) = Wᵀ.
    const dims = { m: c.rows, k: g.outC, n: taps * g.inC };
    k.gemm({
      a: dy + c.outOffset,
      b: filter,
      c: c.cols,
      ...dims,
      transA: false,
      transB: true,
      accumulate: false,
    });
    k.scatterAdd(out + c.inOffset, c.cols, c.table, c.rows * taps, g.inC);
  });
}

// ---- on the run's kernel threads (conv-threads.ts, wasm/conv.ts) ----------

const geometryKey = (g: Geometry): string =>
  [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft].join(
    ',',
  );

/** tableFor's table over the whole batch, in shared memory (wasm/conv.ts' `table`). */
function sharedTable(ct: ConvThreads, g: Geometry): number {
  const taps = g.kH * g.kW;
  const pixels = g.batch * g.outH * g.outW;
  return ct.table(`im2col ${geometryKey(g)}`, pixels * taps, (t) => {
    let r = 0;
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH + kh - g.padTop;
            for (let kw = 0; kw < g.kW; kw++) {
              const iw = ow * g.strideW + kw - g.padLeft;
              t[r++] =
                ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW
                  ? -1
                  : ((n * g.inH + ih) * g.inW + iw) * g.inC * 4;
            }
          }
        }
      }
    }
  });
}

/**
 * For each input pixel, the byte offsets of the column-matrix rows [pixels·taps, inC]
 * that col2im sums into it, in the order scatterAdd adds them, −1 after the last
 * (wasm/conv.ts' `rtable`).
 */
function sharedInputTable(ct: ConvThreads, g: Geometry): number {
  const taps = g.kH * g.kW;
  const inPixels = g.batch * g.inH * g.inW;
  return ct.table(`col2im ${geometryKey(g)}`, inPixels * taps, (t) => {
    t.fill(-1);
    const counts = new Int32Array(inPixels);
    let row = 0;
    for (let n = 0; n < g.batch; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          for (let kh = 0; kh < g.kH; kh++) {
            const ih = oh * g.strideH + kh - g.padTop;
            for (let kw = 0; kw < g.kW; kw++, row++) {
              const iw = ow * g.strideW + kw - g.padLeft;
              if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
              const q = (n * g.inH + ih) * g.inW + iw;
              t[q * taps + counts[q]!] = row * g.inC * 4;
              counts[q]! += 1;
            }
          }
        }
      }
    }
  });
}

/** The float32 heap of tfjs' wasm module (take it after allocating: the heap may grow). */
type Heap = () => Float32Array;

/** A tensor's data on tfjs' heap: its byte address, and its dataId as the key of its shared copy. */
export interface HeapTensor {
  at: number;
  key: object;
}

/** conv2dWasm on the kernel threads. */
export function conv2dThreaded(
  ct: ConvThreads,
  heap: Heap,
  g: Geometry,
  x: HeapTensor,
  filter: number,
  out: number,
): void {
  const taps = g.kH * g.kW;
  const pixels = g.batch * g.outH * g.outW;
  const xFloats = g.batch * g.inH * g.inW * g.inC;
  const wFloats = taps * g.inC * g.outC;
  const table = sharedTable(ct, g);
  const h = heap();
  const [sx] = ct.inputs(h, [{ key: x.key, from: x.at >> 2, floats: xFloats }]) as [number];
  const [sw, sy] = ct.operands([wFloats, pixels * g.outC]) as [number, number];
  ct.copyIn(sw, h, filter >> 2, wFloats);
  ct.run('conv2d', [sx, table, taps, g.inC, sw, sy, pixels, g.outC]);
  ct.copyOut(sy, h, out >> 2, pixels * g.outC);
}

/** convBackpropFilterWasm on the kernel threads. */
export function convBackpropFilterThreaded(
  ct: ConvThreads,
  heap: Heap,
  g: Geometry,
  x: HeapTensor,
  dy: HeapTensor,
  out: number,
): void {
  const taps = g.kH * g.kW;
  const pixels = g.batch * g.outH * g.outW;
  const xFloats = g.batch * g.inH * g.inW * g.inC;
  const wFloats = taps * g.inC * g.outC;
  const table = sharedTable(ct, g);
  const h = heap();
  const [sx, sdy] = ct.inputs(h, [
    { key: x.key, from: x.at >> 2, floats: xFloats },
    { key: dy.key, from: dy.at >> 2, floats: pixels * g.outC },
  ]) as [number, number];
  const [sdw] = ct.operands([wFloats]) as [number];
  ct.run('convFilter', [sx, table, taps, g.inC, sdy, sdw, pixels, g.outC]);
  ct.copyOut(sdw, h, out >> 2, wFloats);
}

/** convBackpropInputWasm on the kernel threads: the column matrix, then col2im by input pixel. */
export function convBackpropInputThreaded(
  ct: ConvThreads,
  heap: Heap,
  g: Geometry,
  dy: HeapTensor,
  filter: number,
  out: number,
): void {
  const taps = g.kH * g.kW;
  const pixels = g.batch * g.outH * g.outW;
  const inPixels = g.batch * g.inH * g.inW;
  const k = taps * g.inC;
  const wFloats = k * g.outC;
  // The column matrix in chunks of whole images under the budget (an evaluation
  // batch of 500 would need 113 MB at once): each image's input pixels take rows
  // of its own output pixels only, so a chunk's col2im needs its own rows alone,
  // and the table of the first images is the same for every chunk.
  const images = chunkSize(g);
  const rtable = sharedInputTable(ct, { ...g, batch: images });
  const h = heap();
  const [sdy] = ct.inputs(h, [{ key: dy.key, from: dy.at >> 2, floats: pixels * g.outC }]) as [number];
  const chunkPixels = images * g.outH * g.outW;
  const [sw, cols, sdx] = ct.operands([wFloats, chunkPixels * k, inPixels * g.inC]) as [
    number,
    number,
    number,
  ];
  ct.copyIn(sw, h, filter >> 2, wFloats);
  for (let n0 = 0; n0 < g.batch; n0 += images) {
    const count = Math.min(images, g.batch - n0);
    const rows = count * g.outH * g.outW;
    const first = n0 * g.outH * g.outW;
    const firstIn = n0 * g.inH * g.inW;
    ct.run('convInputCols', [sdy + first * g.outC * 4, sw, cols, rows, k, g.outC]);
    ct.run('col2im', [sdx + firstIn * g.inC * 4, cols, rtable, count * g.inH * g.inW, taps, g.inC]);
  }
  ct.copyOut(sdx, h, out >> 2, inPixels * g.inC);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations: number | [number, number];
}

/** The attributes tfjs' conv ops pass (conv2d, its gradients, conv2dTranspose). */
function convAttrs(args: KernelArgs): ConvAttrs {
  const attrs = args.attrs ?? {};
  const pair = (v: unknown): v is number | [number, number] =>
    typeof v === 'number' || (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number'));
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  const dilations = attrs['dilations'] ?? 1;
  if (!pair(strides) || !pair(dilations)) throw new Error('conv: strides and dilations must be numbers');
  if (pad !== 'valid' && pad !== 'same' && typeof pad !== 'number' && !Array.isArray(pad))
    throw new Error(`conv: unknown padding ${String(pad)}`);
  return {
    strides,
    pad: pad as ConvAttrs['pad'],
    dataFormat: dataFormat === 'NCHW' ? 'NCHW' : 'NHWC',
    ...(dimRoundingMode === 'floor' || dimRoundingMode === 'round' || dimRoundingMode === 'ceil'
      ? { dimRoundingMode }
      : {}),
    dilations,
  };
}

/** A shape attribute (filterShape, inputShape). */
function shapeAttr(args: KernelArgs, name: string): number[] {
  const v = args.attrs?.[name];
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'number'))
    throw new Error(`conv: attribute ${name} must be a shape`);
  return v;
}

function convInfoOf(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    [...xShape] as [number, number, number, number],
    [...filterShape] as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

function supported(attrs: ConvAttrs): boolean {
  const undilated = Array.isArray(attrs.dilations)
    ? attrs.dilations.every((d) => d === 1)
    : attrs.dilations === 1;
  return attrs.dataFormat !== 'NCHW' && undilated;
}

function heapTensor(arr: ReturnType<typeof wasmArrays>, t: TensorInfo): HeapTensor {
  return { at: arr.ptr(t), key: t.dataId };
}

/** `out` once `fill` has written it; freed if `fill` throws (a kernel thread died), so the heap does not leak it. */
function filling(arr: ReturnType<typeof wasmArrays>, out: TensorInfo, fill: () => void): TensorInfo {
  try {
    fill();
  } catch (error) {
    arr.free(out);
    throw error;
  }
  return out;
}

function backpropFilter(args: KernelArgs): TensorInfo {
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = convAttrs(args);
  if (!supported(attrs)) throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const filterShape = shapeAttr(args, 'filterShape');
  const arr = wasmArrays(args.backend);
  const g = geometry(convInfoOf(x.shape, filterShape, attrs));
  const out = arr.alloc(filterShape);
  const ct = activeConvThreads();
  return filling(arr, out, () => {
    if (ct)
      convBackpropFilterThreaded(
        ct,
        () => arr.wasm.heapF32,
        g,
        heapTensor(arr, x),
        heapTensor(arr, dy),
        arr.ptr(out),
      );
    else convBackpropFilterWasm(arr.wasm, g, arr.ptr(x), arr.ptr(dy), arr.ptr(out));
  });
}

/**
 * Our conv kernels for wasm. Conv2D and Conv2DBackpropInput replace the
 * built-in ones, which still serve what ours do not (NCHW, dilation):
 * `builtin` returns them.
 */
export function convKernelConfigs(builtin: (name: string) => tf.KernelConfig | undefined): tf.KernelConfig[] {
  const fallback = (name: string, args: KernelArgs): TensorInfo => {
    const kernel = builtin(name);
    if (!kernel)
      throw new Error(`${name} on wasm: this case (NCHW or dilated convolutions) is not supported`);
    return kernel.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  };
  // The built-in kernels bind their wasm functions in their setup, which the
  // backend runs only for registered kernels: run it from ours.
  const setupOf =
    (name: string): tf.KernelSetupFunc =>
    (backend) =>
      builtin(name)?.setupFunc?.(backend);
  const conv2d = (args: KernelArgs): TensorInfo => {
    const x = input(args, 'x');
    const filter = input(args, 'filter');
    const attrs = convAttrs(args);
    if (!supported(attrs)) return fallback('Conv2D', args);
    const arr = wasmArrays(args.backend);
    const info = convInfoOf(x.shape, filter.shape, attrs);
    const out = arr.alloc([...info.outShape]);
    const ct = activeConvThreads();
    return filling(arr, out, () => {
      if (ct)
        conv2dThreaded(
          ct,
          () => arr.wasm.heapF32,
          geometry(info),
          heapTensor(arr, x),
          arr.ptr(filter),
          arr.ptr(out),
        );
      else conv2dWasm(arr.wasm, geometry(info), arr.ptr(x), arr.ptr(filter), arr.ptr(out));
    });
  };
  const backpropInput = (args: KernelArgs): TensorInfo => {
    const dy = input(args, 'dy');
    const filter = input(args, 'filter');
    const attrs = convAttrs(args);
    if (!supported(attrs)) return fallback('Conv2DBackpropInput', args);
    const inputShape = shapeAttr(args, 'inputShape');
    const arr = wasmArrays(args.backend);
    const g = geometry(convInfoOf(inputShape, filter.shape, attrs));
    const out = arr.alloc(inputShape);
    const ct = activeConvThreads();
    return filling(arr, out, () => {
      if (ct)
        convBackpropInputThreaded(
          ct,
          () => arr.wasm.heapF32,
          g,
          heapTensor(arr, dy),
          arr.ptr(filter),
          arr.ptr(out),
        );
      else convBackpropInputWasm(arr.wasm, g, arr.ptr(dy), arr.ptr(filter), arr.ptr(out));
    });
  };
  // The bias gradient of a conv layer sums dy [batch, h, w, C] over its first three
  // axes; wasm 4.22's Sum took ~30 ms a step of the conv model for that, our
  // column sum (rows in order, as Sum adds them) ~1 ms. Other sums: the built-in.
  const sum = (args: KernelArgs): TensorInfo => {
    const x = input(args, 'x');
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(args.attrs?.['axis'] as number | number[], [...x.shape]);
    const sorted = [...axes].sort((a, b) => a - b);
    const leading = sorted.length < rank && sorted.every((a, i) => a === i);
    const n = x.shape.slice(sorted.length).reduce((p, d) => p * d, 1);
    if (!leading || x.dtype !== 'float32' || n % 4 !== 0) return fallback('Sum', args);
    const rows = x.shape.slice(0, sorted.length).reduce((p, d) => p * d, 1);
    const arr = wasmArrays(args.backend);
    const keep = args.attrs?.['keepDims'] === true;
    const out = arr.alloc(
      keep ? x.shape.map((d, i) => (i < sorted.length ? 1 : d)) : x.shape.slice(sorted.length),
    );
    arr.wasm.colSum(arr.ptr(out), arr.ptr(x), rows, n);
    return out;
  };
  // A conv layer's bias: y [batch, h, w, C] + b [C]. wasm 4.22's broadcasting Add
  // took ~5 ms a step of the conv model for these; a copy and our SIMD bias add
  // about half. Same values (one float32 addition each). Other adds: the built-in.
  const add = (args: KernelArgs): TensorInfo => {
    const a = input(args, 'a');
    const b = input(args, 'b');
    const [big, bias] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const n = bias.shape.length === 1 ? bias.shape[0]! : 0;
    const rank = big.shape.length;
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      rank < 2 ||
      n === 0 ||
      n % 4 !== 0 ||
      big.shape[rank - 1] !== n
    )
      return fallback('Add', args);
    const rows = big.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const arr = wasmArrays(args.backend);
    const out = arr.alloc([...big.shape]);
    const at = arr.ptr(out) >> 2;
    const from = arr.ptr(big) >> 2;
    arr.wasm.heapF32.copyWithin(at, from, from + rows * n);
    arr.wasm.biasActivate(arr.ptr(out), arr.ptr(bias), rows, n, false);
    return out;
  };
  return [
    {
      kernelName: 'Add',
      backendName: 'wasm',
      kernelFunc: add as unknown as tf.KernelFunc,
      setupFunc: setupOf('Add'),
    },
    {
      kernelName: 'Sum',
      backendName: 'wasm',
      kernelFunc: sum as unknown as tf.KernelFunc,
      setupFunc: setupOf('Sum'),
    },
    {
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: backpropFilter as unknown as tf.KernelFunc,
    },
    {
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      kernelFunc: backpropInput as unknown as tf.KernelFunc,
      setupFunc: setupOf('Conv2DBackpropInput'),
    },
    {
      kernelName: 'Conv2D',
      backendName: 'wasm',
      kernelFunc: conv2d as unknown as tf.KernelFunc,
      setupFunc: setupOf('Conv2D'),
    },
  ];
}
