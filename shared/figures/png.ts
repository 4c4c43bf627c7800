import type { RgbaImage } from './images';

/**
 * PNG encoding in plain TypeScript, so a figure can embed its pixel grids
 * (`<image href="data:image/png;base64,…">`) in every runtime. Without a
 * `deflate` the pixels are stored uncompressed (valid, larger); the main
 * process passes zlib's for small files.
 */

/** zlib-format compression (RFC 1950), e.g. node's `deflateSync`. */
export type Deflate = (bytes: Uint8Array) => Uint8Array;

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (crcTable[(c ^ (bytes[i] as number)) & 255] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** zlib stream of stored (uncompressed) deflate blocks. */
export function storedDeflate(bytes: Uint8Array): Uint8Array {
  const maxBlock = 65535;
  const blocks = Math.max(1, Math.ceil(bytes.length / maxBlock));
  const out = new Uint8Array(2 + bytes.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = bytes.subarray(b * maxBlock, Math.min(bytes.length, (b + 1) * maxBlock));
    out[o++] = b === blocks - 1 ? 1 : 0;
    out[o++] = chunk.length & 255;
    out[o++] = chunk.length >>> 8;
    out[o++] = ~chunk.length & 255;
    out[o++] = (~chunk.length >>> 8) & 255;
    out.set(chunk, o);
    o += chunk.length;
  }
  let a = 1;
  let s = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + (bytes[i] as number)) % 65521;
    s = (s + a) % 65521;
  }
  const adler = ((s << 16) | a) >>> 0;
  out[o++] = adler >>> 24;
  out[o++] = (adler >>> 16) & 255;
  out[o++] = (adler >>> 8) & 255;
  out[o++] = adler & 255;
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * PNG bytes of RGBA pixels: RGB when every pixel is opaque, grey when
 * additionally r = g = b everywhere (a third of the bytes), RGBA otherwise.
 */
export function encodePngRgba(image: RgbaImage, deflate: Deflate = storedDeflate): Uint8Array {
  const { width, height, data } = image;
  let opaque = true;
  let grey = true;
  for (let p = 0; p < data.length && (opaque || grey); p += 4) {
    if (data[p + 3] !== 255) opaque = false;
    if (data[p] !== data[p + 1] || data[p] !== data[p + 2]) grey = false;
  }
  const channels = opaque ? (grey ? 1 : 3) : 4;
  const colourType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const rowBytes = width * channels + 1;
  const raw = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    let o = y * rowBytes + 1; // filter byte 0: none
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      if (channels === 1) raw[o++] = data[p] as number;
      else {
        raw[o++] = data[p] as number;
        raw[o++] = data[p + 1] as number;
        raw[o++] = data[p + 2] as number;
        if (channels === 4) raw[o++] = data[p + 3] as number;
      }
    }
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8;
  header[9] = colourType;
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflate(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (no `btoa`/`Buffer`: neither exists in every runtime shared/ serves). */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    line +=
      base64Alphabet[(n >>> 18) & 63]! +
      base64Alphabet[(n >>> 12) & 63]! +
      (b === undefined ? '=' : base64Alphabet[(n >>> 6) & 63]!) +
      (c === undefined ? '=' : base64Alphabet[n & 63]!);
    if (line.length >= 4096) {
      parts.push(line);
      line = '';
    }
  }
  parts.push(line);
  return parts.join('');
}
