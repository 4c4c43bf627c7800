import type { Snapshot } from '../../shared/run';
import { blobToFloat32, blobToFloat64, blobToInt32, blobToUint8, toBlob } from './blobs';
import { StoreError } from './errors';

/**
 * A snapshot as one `snapshots` row: its counts and shape as columns, each
 * array as a typed-array BLOB. Snapshots come from the training worker, not
 * from a validated API argument, and a BLOB of the wrong size would only show
 * up later as a broken figure; so they are checked here before they are stored.
 */

/** A `snapshots` row as SQLite returns it. */
export interface SnapshotRow {
  epoch: number;
  image_height: number;
  image_width: number;
  image_channels: number;
  gallery_indices: Buffer;
  gallery_original: Buffer;
  gallery_mean: Buffer;
  gallery_sampled: Buffer;
  latent_count: number;
  latent_dim: number;
  z_mu: Buffer;
  z_log_var: Buffer;
  labels: Buffer;
  manifold_n: number;
  manifold_range: number;
  manifold_dim_x: number;
  manifold_dim_y: number;
  manifold_images: Buffer;
  prior_count: number;
  prior_images: Buffer;
  kl_per_dim: Buffer;
}

/** The insert statement, its named parameters matching {@link snapshotParams}. */
export const upsertSnapshotSql = `
  INSERT OR REPLACE INTO snapshots (run_id, epoch, image_height, image_width, image_channels,
    gallery_indices, gallery_original, gallery_mean, gallery_sampled, latent_count, latent_dim, z_mu,
    z_log_var, labels, manifold_n, manifold_range, manifold_dim_x, manifold_dim_y, manifold_images,
    prior_count, prior_images, kl_per_dim)
  VALUES (@runId, @epoch, @height, @width, @channels, @galleryIndices, @galleryOriginal, @galleryMean,
    @gallerySampled, @latentCount, @latentDim, @zMu, @zLogVar, @labels, @manifoldN, @manifoldRange,
    @manifoldDimX, @manifoldDimY, @manifoldImages, @priorCount, @priorImages, @klPerDim)`;

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/** Throws `invalid_input` unless every array of the snapshot has the size its counts announce. */
export function checkSnapshot(s: Snapshot): void {
  const invalid = (message: string) =>
    new StoreError('invalid_input', `Snapshot of epoch ${s.epoch}: ${message}`);
  const { height, width, channels } = s.imageShape;
  if (![height, width].every(isPositiveInt) || (channels !== 1 && channels !== 3)) {
    throw invalid(`image shape ${height}×${width}×${channels} is not valid.`);
  }
  const pixels = height * width * channels;
  const expect = (
    what: string,
    array: ArrayLike<number>,
    type: Uint8ArrayConstructor | Float32ArrayConstructor,
    length: number,
  ) => {
    if (!(array instanceof type) || array.length !== length) {
      throw invalid(`${what} must be a ${type.name} of ${length} values (got ${array.length}).`);
    }
  };
  const g = s.galleryIndices.length;
  expect('gallery.original', s.gallery.original, Uint8Array, g * pixels);
  expect('gallery.mean', s.gallery.mean, Uint8Array, g * pixels);
  expect('gallery.sampled', s.gallery.sampled, Uint8Array, g * pixels);
  const { count, latentDim } = s.latent;
  expect('latent.zMu', s.latent.zMu, Float32Array, count * latentDim);
  expect('latent.zLogVar', s.latent.zLogVar, Float32Array, count * latentDim);
  expect('latent.labels', s.latent.labels, Uint8Array, count);
  expect('manifold.images', s.manifold.images, Uint8Array, s.manifold.n * s.manifold.n * pixels);
  expect('prior.images', s.prior.images, Uint8Array, s.prior.count * pixels);
  if (s.klPerDim.length !== latentDim) {
    throw invalid(`klPerDim must hold ${latentDim} values (got ${s.klPerDim.length}).`);
  }
}

/** The named parameters of {@link upsertSnapshotSql}; check the snapshot first. */
export function snapshotParams(runId: string, s: Snapshot): Record<string, unknown> {
  return {
    runId,
    epoch: s.epoch,
    height: s.imageShape.height,
    width: s.imageShape.width,
    channels: s.imageShape.channels,
    galleryIndices: toBlob(Int32Array.from(s.galleryIndices)),
    galleryOriginal: toBlob(s.gallery.original),
    galleryMean: toBlob(s.gallery.mean),
    gallerySampled: toBlob(s.gallery.sampled),
    latentCount: s.latent.count,
    latentDim: s.latent.latentDim,
    zMu: toBlob(s.latent.zMu),
    zLogVar: toBlob(s.latent.zLogVar),
    labels: toBlob(s.latent.labels),
    manifoldN: s.manifold.n,
    manifoldRange: s.manifold.range,
    manifoldDimX: s.manifold.dims[0],
    manifoldDimY: s.manifold.dims[1],
    manifoldImages: toBlob(s.manifold.images),
    priorCount: s.prior.count,
    priorImages: toBlob(s.prior.images),
    klPerDim: toBlob(Float64Array.from(s.klPerDim)),
  };
}

/** A stored row back as the snapshot it was. */
export function toSnapshot(row: SnapshotRow): Snapshot {
  return {
    epoch: row.epoch,
    imageShape: { height: row.image_height, width: row.image_width, channels: row.image_channels },
    galleryIndices: Array.from(blobToInt32(row.gallery_indices)),
    gallery: {
      original: blobToUint8(row.gallery_original),
      mean: blobToUint8(row.gallery_mean),
      sampled: blobToUint8(row.gallery_sampled),
    },
    latent: {
      count: row.latent_count,
      latentDim: row.latent_dim,
      zMu: blobToFloat32(row.z_mu),
      zLogVar: blobToFloat32(row.z_log_var),
      labels: blobToUint8(row.labels),
    },
    manifold: {
      n: row.manifold_n,
      range: row.manifold_range,
      dims: [row.manifold_dim_x, row.manifold_dim_y],
      images: blobToUint8(row.manifold_images),
    },
    prior: { count: row.prior_count, images: blobToUint8(row.prior_images) },
    klPerDim: Array.from(blobToFloat64(row.kl_per_dim)),
  };
}
