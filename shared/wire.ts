/**
 * JSON encoding for frames that carry typed arrays (snapshots, decoded images).
 * Electron's IPC clones typed arrays itself; the WebSocket transport needs this.
 * A typed array becomes `{ "$typed": "Float32Array", "b64": "…" }`.
 */

const typedArrayKinds = {
  Uint8Array,
  Float32Array,
  Uint32Array,
  Int32Array,
  Float64Array,
} as const;
type TypedKind = keyof typeof typedArrayKinds;
type TypedArray = InstanceType<(typeof typedArrayKinds)[TypedKind]>;

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const lookup = new Uint8Array(128);
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;

/** Standard base64 of bytes (no platform Buffer/btoa, so it runs everywhere). */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 3 * 4096;
  for (let start = 0; start < bytes.length; start += chunk) {
    const end = Math.min(start + chunk, bytes.length);
    let out = '';
    for (let i = start; i < end; i += 3) {
      const b0 = bytes[i] ?? 0;
      const b1 = i + 1 < end ? (bytes[i + 1] ?? 0) : 0;
      const b2 = i + 2 < end ? (bytes[i + 2] ?? 0) : 0;
      out += alphabet[b0 >> 2];
      out += alphabet[((b0 & 3) << 4) | (b1 >> 4)];
      out += i + 1 < end ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : '=';
      out += i + 2 < end ? alphabet[b2 & 63] : '=';
    }
    parts.push(out);
  }
  return parts.join('');
}

/** The engine's own decoder (Chromium 140+, so Electron's renderer and browsers; not Node 20). */
const nativeFromBase64 = (
  Uint8Array as unknown as {
    fromBase64?: (text: string, options: { lastChunkHandling: 'strict' }) => Uint8Array;
  }
).fromBase64;

/** Inverse of {@link bytesToBase64}; throws on characters outside the alphabet. */
export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error('Invalid base64');
  if (nativeFromBase64) {
    // ~7× faster than the loop below on a snapshot's 700 KB (where the page decodes them).
    try {
      return nativeFromBase64.call(Uint8Array, text, { lastChunkHandling: 'strict' });
    } catch {
      throw new Error('Invalid base64');
    }
  }
  if (/[^A-Za-z0-9+/=]/.test(text)) throw new Error('Invalid base64');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const c0 = lookup[text.charCodeAt(i)] ?? 0;
    const c1 = lookup[text.charCodeAt(i + 1)] ?? 0;
    const c2 = lookup[text.charCodeAt(i + 2)] ?? 0;
    const c3 = lookup[text.charCodeAt(i + 3)] ?? 0;
    if (o < out.length) out[o++] = (c0 << 2) | (c1 >> 4);
    if (o < out.length) out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
    if (o < out.length) out[o++] = ((c2 & 3) << 6) | c3;
  }
  return out;
}

function typedKind(value: unknown): TypedKind | null {
  if (!ArrayBuffer.isView(value)) return null;
  for (const kind of Object.keys(typedArrayKinds) as TypedKind[]) {
    if (value instanceof typedArrayKinds[kind]) return kind;
  }
  return null;
}

/** JSON.stringify that keeps typed arrays. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    const kind = typedKind(v);
    if (!kind) return v;
    const view = v as TypedArray;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    return { $typed: kind, b64: bytesToBase64(bytes) };
  });
}

/** JSON.parse that restores typed arrays written by {@link encodeWire}; throws SyntaxError on bad JSON. */
export function decodeWire(text: string): unknown {
  // Most frames carry no typed array (a page of 1,000 runs is 570 KB of plain JSON): without the
  // reviver, parsing one is 5× faster. A string that merely mentions the marker takes the slow path.
  if (!text.includes('"$typed"')) return JSON.parse(text);
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    const record = v as { $typed?: unknown; b64?: unknown };
    if (typeof record.$typed !== 'string' || typeof record.b64 !== 'string') return v;
    if (!(record.$typed in typedArrayKinds)) return v;
    const Kind = typedArrayKinds[record.$typed as TypedKind];
    const bytes = base64ToBytes(record.b64);
    if (bytes.byteLength % Kind.BYTES_PER_ELEMENT !== 0) throw new Error('Typed array length mismatch');
    // base64ToBytes returns a fresh buffer starting at offset 0, so it is aligned for any kind.
    return new Kind(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
  });
}
