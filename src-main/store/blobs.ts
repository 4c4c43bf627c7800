/**
 * Typed arrays ↔ SQLite BLOBs. Blobs are little-endian on disk whatever the
 * host, so a database copied between machines reads the same; on the
 * little-endian hosts we ship for, writing is a zero-copy view.
 */

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type NumberArray = Float32Array | Float64Array | Int32Array;

function bytesPer(array: NumberArray): 4 | 8 {
  return array instanceof Float64Array ? 8 : 4;
}

/** A Buffer holding `array` little-endian (a view of it on little-endian hosts). */
export function toBlob(array: NumberArray | Uint8Array): Buffer {
  if (array instanceof Uint8Array || hostIsLittleEndian) {
    return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  }
  const out = Buffer.allocUnsafe(array.byteLength);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const size = bytesPer(array);
  for (let i = 0; i < array.length; i++) {
    const value = array[i] as number;
    if (array instanceof Float32Array) view.setFloat32(i * size, value, true);
    else if (array instanceof Float64Array) view.setFloat64(i * size, value, true);
    else view.setInt32(i * size, value, true);
  }
  return out;
}

/**
 * Copies `length` little-endian values of `size` bytes starting at `offset` of
 * `bytes` into a fresh, aligned ArrayBuffer. Copying also detaches the result
 * from Node's shared Buffer pool, so posting it to another thread or process
 * sends only these bytes.
 */
function alignedCopy(bytes: Uint8Array, offset: number, byteLength: number, size: 4 | 8): ArrayBuffer {
  if (byteLength % size !== 0 || offset + byteLength > bytes.byteLength) {
    throw new RangeError(`A blob of ${byteLength} bytes at ${offset} does not hold ${size}-byte values.`);
  }
  const start = bytes.byteOffset + offset;
  const copy = bytes.buffer.slice(start, start + byteLength) as ArrayBuffer;
  if (!hostIsLittleEndian) {
    const u8 = new Uint8Array(copy);
    for (let i = 0; i < u8.length; i += size) u8.subarray(i, i + size).reverse();
  }
  return copy;
}

/** Float32 values of a blob (or of `byteLength` bytes of it from `offset`). */
export function blobToFloat32(
  bytes: Uint8Array,
  offset = 0,
  byteLength = bytes.byteLength - offset,
): Float32Array {
  return new Float32Array(alignedCopy(bytes, offset, byteLength, 4));
}

/** Float64 values of a blob. */
export function blobToFloat64(bytes: Uint8Array): Float64Array {
  return new Float64Array(alignedCopy(bytes, 0, bytes.byteLength, 8));
}

/** Int32 values of a blob. */
export function blobToInt32(bytes: Uint8Array): Int32Array {
  return new Int32Array(alignedCopy(bytes, 0, bytes.byteLength, 4));
}

/** A plain Uint8Array copy of a blob (not a Buffer, not a view of Node's pool). */
export function blobToUint8(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
