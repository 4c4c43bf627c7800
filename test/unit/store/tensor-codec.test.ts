import { describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  decodeTensorBundle,
  decodeTensors,
  encodeCheckpoint,
  encodeTensorBundle,
  encodeTensors,
} from '../../../src-main/store/tensor-codec';
import { checkpoint, floats } from './fixtures';

describe('tensor codec', () => {
  it('round-trips a checkpoint exactly, including scalars and empty tensors', () => {
    const original = checkpoint(7);
    original.weights.push({ name: 'empty', shape: [0, 3], data: new Float32Array(0) });
    const blob = encodeCheckpoint(original);
    const back = decodeCheckpoint(blob);
    expect(back.epoch).toBe(7);
    expect(back.weights.map((t) => [t.name, t.shape])).toEqual(
      original.weights.map((t) => [t.name, t.shape]),
    );
    expect(back.optimizer.map((t) => t.name)).toEqual(original.optimizer.map((t) => t.name));
    back.weights.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(original.weights[i]!.data)));
    back.optimizer.forEach((t, i) =>
      expect(Array.from(t.data)).toEqual(Array.from(original.optimizer[i]!.data)),
    );
    expect(back.optimizer[0]!.data[0]).toBe(7 * 938);
  });

  it('stores raw float32: the blob is the data plus a small header', () => {
    const weights = [{ name: 'w', shape: [100, 10], data: floats(1000) }];
    const blob = encodeTensors(3, weights);
    expect(blob.subarray(0, 8).toString('ascii')).toBe('VAETNSR1');
    expect(blob.length).toBeGreaterThanOrEqual(4000);
    expect(blob.length).toBeLessThan(4000 + 100);
    // The data section is 4-byte aligned and little-endian.
    const dataStart = blob.length - 4000;
    expect(dataStart % 4).toBe(0);
    expect(blob.readFloatLE(dataStart)).toBe(weights[0]!.data[0]);
    expect(decodeTensors(blob).tensors[0]!.data[999]).toBe(weights[0]!.data[999]);
  });

  it('decodes views into unaligned buffers (blobs as SQLite hands them back)', () => {
    const blob = encodeTensors(1, [{ name: 'w', shape: [3], data: Float32Array.of(1, 2, 3) }]);
    const shifted = Buffer.alloc(blob.length + 1);
    blob.copy(shifted, 1);
    expect(Array.from(decodeTensors(shifted.subarray(1)).tensors[0]!.data)).toEqual([1, 2, 3]);
  });

  it('refuses data that does not match the shape', () => {
    expect(() => encodeTensors(1, [{ name: 'w', shape: [2, 3], data: new Float32Array(5) }])).toThrow(
      /shape \[2, 3\] but 5 values/,
    );
    expect(() =>
      encodeTensorBundle({
        epoch: 1,
        groups: { g: [{ name: 'w', shape: [-1], data: new Float32Array(0) }] },
      }),
    ).toThrow(/invalid shape/);
  });

  it("keeps the checkpoint's format and model spec, and refuses a blob without them", () => {
    const original = checkpoint(3);
    expect(decodeCheckpoint(encodeCheckpoint(original))).toEqual(original);
    // Decoder weights are a bundle too, but not a checkpoint: resuming from one must fail, not guess a model.
    expect(() => decodeCheckpoint(encodeTensors(3, original.weights))).toThrow(
      /format 1 or 2 with a model spec/,
    );
  });

  it('detects damaged blobs', () => {
    const blob = encodeCheckpoint(checkpoint(2));
    expect(() => decodeTensorBundle(blob.subarray(0, blob.length - 4))).toThrow(/truncated/);
    expect(() => decodeTensorBundle(Buffer.concat([blob, Buffer.alloc(4)]))).toThrow(/trailing/);
    const badMagic = Buffer.from(blob);
    badMagic[0] = 0x58;
    expect(() => decodeTensorBundle(badMagic)).toThrow(/VAETNSR1/);
    const badHeader = Buffer.from(blob);
    badHeader.write('}}}}', 12, 'utf8');
    expect(() => decodeTensorBundle(badHeader)).toThrow(/header/);
  });
});
