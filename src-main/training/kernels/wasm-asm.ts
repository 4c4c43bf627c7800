/**
 * A tiny WebAssembly assembler: just what our kernels need (i32 arithmetic,
 * structured control flow, f32 and 128-bit SIMD loads, stores and arithmetic),
 * so that they ship as TypeScript, with no toolchain, and are compiled at run
 * time by the same engine that runs tfjs' own wasm.
 */

export type Bytes = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): Bytes {
  const out: Bytes = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(n: number): Bytes {
  const out: Bytes = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function str(s: string): Bytes {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function vec(items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: Bytes): Bytes {
  return [id, ...uleb(body.length), ...body];
}

// ---- instructions -------------------------------------------------------

export const get = (i: number): Bytes => [0x20, ...uleb(i)];
export const set = (i: number): Bytes => [0x21, ...uleb(i)];
export const tee = (i: number): Bytes => [0x22, ...uleb(i)];
export const i32c = (v: number): Bytes => [0x41, ...sleb(v)];
export const i32add: Bytes = [0x6a];
export const i32sub: Bytes = [0x6b];
export const i32mul: Bytes = [0x6c];
export const i32eqz: Bytes = [0x45];
export const i32geS: Bytes = [0x4e];
export const i32gtS: Bytes = [0x4a];
export const i32ltS: Bytes = [0x48];
export const end: Bytes = [0x0b];
export const br = (depth: number): Bytes => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): Bytes => [0x0d, ...uleb(depth)];
export const f32load = (offset = 0): Bytes => [0x2a, 2, ...uleb(offset)];
export const i32load = (offset = 0): Bytes => [0x28, 2, ...uleb(offset)];
export const f32store = (offset = 0): Bytes => [0x38, 2, ...uleb(offset)];
export const f32add: Bytes = [0x92];
export const f32c0: Bytes = [0x43, 0, 0, 0, 0];
export const f32mul: Bytes = [0x94];
/** f32.const v (rounded to float32). */
export function f32c(v: number): Bytes {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return [0x43, ...b];
}

const simd = (op: number): Bytes => [0xfd, ...uleb(op)];
export const v128load = (offset = 0): Bytes => [...simd(0x00), 4, ...uleb(offset)];
export const v128store = (offset = 0): Bytes => [...simd(0x0b), 4, ...uleb(offset)];
export const v128load32splat = (offset = 0): Bytes => [...simd(0x09), 2, ...uleb(offset)];
export const v128zero: Bytes = [...simd(0x0c), ...new Array<number>(16).fill(0)];
export const f32x4splat: Bytes = simd(0x13);
export const f32x4add: Bytes = simd(0xe4);
export const f32x4sub: Bytes = simd(0xe5);
export const f32x4mul: Bytes = simd(0xe6);
export const f32x4div: Bytes = simd(0xe7);
export const f32x4sqrt: Bytes = simd(0xe3);
export const f32x4abs: Bytes = simd(0xe0);
export const f32x4min: Bytes = simd(0xe8);
export const f32x4max: Bytes = simd(0xe9);
export const f32x4nearest: Bytes = simd(0x6a);
export const f32x4gt: Bytes = simd(0x44);
export const f32x4le: Bytes = simd(0x45);
export const f32x4ge: Bytes = simd(0x46);
export const f32x4extractLane = (lane: number): Bytes => [...simd(0x1f), lane];
export const v128and: Bytes = simd(0x4e);
/** bitselect(a, b, mask): a where mask bits are set, b elsewhere. */
export const v128bitselect: Bytes = simd(0x52);
export const i32x4splat: Bytes = simd(0x11);
export const i32x4shl: Bytes = simd(0xab);
export const i32x4sub: Bytes = simd(0xb1);
export const i32x4truncSatF32x4S: Bytes = simd(0xf8);
/** relaxed-simd: a·b + c, fused where the CPU has FMA. */
export const f32x4relaxedMadd: Bytes = simd(0x105);

/** block … end, the body's `br 0` leaves it. */
export function block(...body: Bytes[]): Bytes {
  return [0x02, 0x40, ...body.flat(), ...end];
}
/** loop … end, the body's `br 0` starts it again. */
export function loop(...body: Bytes[]): Bytes {
  return [0x03, 0x40, ...body.flat(), ...end];
}
export function ifThen(...body: Bytes[]): Bytes {
  return [0x04, 0x40, ...body.flat(), ...end];
}
export function ifElse(then: Bytes, otherwise: Bytes): Bytes {
  return [0x04, 0x40, ...then, 0x05, ...otherwise, ...end];
}

/** `while (cond) body` with cond computed by `cond` (leaves an i32); in body, depth 0 = loop, 1 = exit. */
export function whileLoop(cond: Bytes, ...body: Bytes[]): Bytes {
  return block(loop(cond, i32eqz, brIf(1), ...body, br(0)));
}

// ---- module --------------------------------------------------------------

export interface FuncDef {
  name: string;
  params: number[];
  results: number[];
  /** Extra locals by type, in order, after the params. */
  locals: number[];
  body: Bytes;
}

/** A module importing its memory as env.memory (no maximum), exporting `funcs`. */
export function assemble(funcs: FuncDef[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const importSec = vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]]);
  const funcSec = vec(funcs.map((_, i) => uleb(i)));
  const exportSec = vec(funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]));
  const codeSec = vec(
    funcs.map((f) => {
      // Run-length encode the locals by type.
      const groups: Bytes[] = [];
      let i = 0;
      while (i < f.locals.length) {
        let j = i;
        while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
        groups.push([...uleb(j - i), f.locals[i]!]);
        i = j;
      }
      const body = [...vec(groups), ...f.body, ...end];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, importSec),
    ...section(3, funcSec),
    ...section(7, exportSec),
    ...section(10, codeSec),
  ]);
}
