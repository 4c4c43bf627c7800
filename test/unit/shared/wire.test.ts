import { describe, expect, it, vi } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeWire, encodeWire } from '../../../shared/wire';

describe('wire encoding', () => {
  it('matches Node base64 for every length remainder', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 4096 * 3 + 1]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) % 256);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    }
  });

  it('round-trips typed arrays nested in objects, including views at an offset', () => {
    const backing = new Float32Array([9, 1.5, -2.25, 3e-8]);
    const value = {
      images: Uint8Array.from([0, 127, 255]),
      codes: new Float32Array(backing.buffer, 4, 3),
      nested: [{ labels: Uint32Array.from([7, 70000]) }],
      plain: 'text',
    };
    const back = decodeWire(encodeWire(value)) as typeof value;
    expect(back.images).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.images)).toEqual([0, 127, 255]);
    expect(back.codes).toBeInstanceOf(Float32Array);
    expect(Array.from(back.codes)).toEqual([1.5, -2.25, Math.fround(3e-8)]);
    expect(Array.from(back.nested[0]?.labels ?? [])).toEqual([7, 70000]);
    expect(back.plain).toBe('text');
  });

  it('rejects malformed base64 and JSON', () => {
    expect(() => base64ToBytes('abc')).toThrow();
    expect(() => base64ToBytes('ab!=')).toThrow();
    expect(() => decodeWire('{"id":')).toThrow(SyntaxError);
    expect(() => decodeWire('{"x":{"$typed":"Float32Array","b64":"AAA="}}')).toThrow(/length/);
  });

  it('leaves look-alike objects of unknown kinds alone', () => {
    expect(decodeWire('{"$typed":"Int8Array","b64":"AA=="}')).toEqual({ $typed: 'Int8Array', b64: 'AA==' });
  });
});

describe("base64 with the engine's own decoder (Uint8Array.fromBase64, as in Chromium)", () => {
  it('uses it in strict mode, and keeps the same error for bad input', async () => {
    const calls: unknown[] = [];
    const decoder = (text: string, options: unknown): Uint8Array => {
      calls.push(options);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SyntaxError('not base64');
      return new Uint8Array(Buffer.from(text, 'base64'));
    };
    const target = Uint8Array as unknown as { fromBase64?: typeof decoder };
    target.fromBase64 = decoder;
    try {
      vi.resetModules();
      const fresh = await import('../../../shared/wire');
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) % 256);
      expect(Array.from(fresh.base64ToBytes(fresh.bytesToBase64(bytes)))).toEqual(Array.from(bytes));
      expect(calls).toEqual([{ lastChunkHandling: 'strict' }]);
      expect(() => fresh.base64ToBytes('ab$d')).toThrow('Invalid base64');
      expect(() => fresh.base64ToBytes('abc')).toThrow('Invalid base64');
    } finally {
      delete target.fromBase64;
      vi.resetModules();
    }
  });
});
