import { describe, expect, it } from 'vitest';
import { fillNormal, gaussian, mixSeed, mulberry32 } from '../../../shared/random';

describe('mulberry32', () => {
  it('gives the reference sequence of the canonical implementation', () => {
    const r = mulberry32(1);
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const r42 = mulberry32(42);
    expect([r42(), r42()]).toEqual([0.6011037519201636, 0.44829055899754167]);
  });

  it('stays in [0, 1)', () => {
    const r = mulberry32(7);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 10000; i++) {
      const v = r();
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });
});

describe('mixSeed', () => {
  it('hashes its parts to the values of an independent implementation', () => {
    // Values from a Python transcription of murmur3's finaliser over the parts.
    expect(mixSeed()).toBe(0x9e3779b9);
    expect(mixSeed(0)).toBe(2462723854);
    expect(mixSeed(42, 1)).toBe(2978992956);
    expect(mixSeed(42, 2, 3, 7)).toBe(4122261719);
    // Only the low 32 bits of a part count: −1 is 0xffffffff.
    expect(mixSeed(-1)).toBe(996586154);
    expect(mixSeed(0xffffffff)).toBe(996586154);
  });
});

describe('normal draws', () => {
  it('uses the cosine and the sine of each pair (fillNormal)', () => {
    // u = 0.62707…, 0.00273…: radius √(−2·ln(1 − u₁)) = 1.40454…, angle 2π·u₂.
    const out = fillNormal(new Float32Array(3), mulberry32(1));
    expect(Array.from(out)).toEqual([1.4043388366699219, 0.024141617119312286, 1.2157546281814575]);
  });

  it('uses the cosine only, one pair per draw (gaussian)', () => {
    const r = mulberry32(1);
    expect([gaussian(r), gaussian(r)]).toEqual([1.4043387784152637, 1.2157546192705377]);
  });
});
