import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presets, type Hyperparams } from '../../../shared/hyperparams';
import type { EpochMetrics, Snapshot } from '../../../shared/run';
import type { Checkpoint, NamedArray } from '../../../src-main/store';

/** A fresh temp folder; `cleanup` removes it. */
export function tempDir(prefix = 'vae-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The reference preset's hyperparameters, with overrides. */
export function hyperparams(overrides: Partial<Hyperparams> = {}): Hyperparams {
  return { ...presets[0]!.hyperparams, ...overrides };
}

/** Deterministic pseudo-random values (a small LCG) so tests can compare exactly. */
export function floats(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

export function bytes(n: number, seed = 1): Uint8Array {
  const f = floats(n, seed);
  return Uint8Array.from(f, (v) => Math.floor((v + 0.5) * 256));
}

export function metrics(epoch: number, testLoss = 200 - epoch): EpochMetrics {
  return {
    epoch,
    train: { loss: testLoss + 1, recon: testLoss - 5, kl: 6 },
    test: { loss: testLoss, recon: testLoss - 6, kl: 6 },
    beta: 1,
    seconds: 16.5,
    samplesPerSecond: 3600,
  };
}

/** A snapshot with the given sizes (defaults: small but shaped like the real one). */
export function snapshot(
  epoch: number,
  size: { side?: number; gallery?: number; latent?: number; dim?: number; n?: number; prior?: number } = {},
): Snapshot {
  const side = size.side ?? 4;
  const g = size.gallery ?? 10;
  const count = size.latent ?? 50;
  const dim = size.dim ?? 2;
  const n = size.n ?? 3;
  const prior = size.prior ?? 5;
  const px = side * side;
  return {
    epoch,
    imageShape: { height: side, width: side, channels: 1 },
    galleryIndices: Array.from({ length: g }, (_, i) => i * 7),
    gallery: {
      original: bytes(g * px, epoch),
      mean: bytes(g * px, epoch + 1),
      sampled: bytes(g * px, epoch + 2),
    },
    latent: {
      count,
      latentDim: dim,
      zMu: floats(count * dim, epoch + 3),
      zLogVar: floats(count * dim, epoch + 4),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    },
    manifold: { n, range: 2, dims: [0, 1], images: bytes(n * n * px, epoch + 5) },
    prior: { count: prior, images: bytes(prior * px, epoch + 6) },
    klPerDim: Array.from({ length: dim }, (_, i) => 1.5 + i / 3),
  };
}

/** Weights shaped like the reference MLP decoder (latent → hidden → pixels). */
export function decoderWeights(
  seed = 1,
  shape: { latent: number; hidden: number; pixels: number } = { latent: 2, hidden: 8, pixels: 16 },
): NamedArray[] {
  const { latent, hidden, pixels } = shape;
  return [
    { name: 'decoder/dense_0/kernel', shape: [latent, hidden], data: floats(latent * hidden, seed) },
    { name: 'decoder/dense_0/bias', shape: [hidden], data: floats(hidden, seed + 1) },
    { name: 'decoder/output/kernel', shape: [hidden, pixels], data: floats(hidden * pixels, seed + 2) },
    { name: 'decoder/output/bias', shape: [pixels], data: floats(pixels, seed + 3) },
  ];
}

export function checkpoint(epoch: number, seed = 1): Checkpoint {
  const weights = decoderWeights(seed);
  return {
    format: 1,
    epoch,
    // The store keeps the spec as given; it does not match these weights to it.
    spec: { arch: 'mlp', image: { height: 4, width: 4, channels: 1 }, latentDim: 2, hidden: [8] },
    weights,
    optimizer: [
      { name: 'iterations', shape: [], data: Float32Array.of(epoch * 938) },
      ...weights.map((w, i) => ({
        name: `${w.name}/m`,
        shape: w.shape,
        data: floats(w.data.length, seed + 10 + i),
      })),
    ],
  };
}
