import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import { ok } from '../../shared/result';
import type { Snapshot } from '../../shared/run';
import type { ColormapName } from '../figures/colormaps';
import { imageAt, stackImages } from '../figures/images';
import {
  defaultView,
  latentRow,
  manifoldPoints,
  planeForView,
  sampledLatent,
  type LatentView,
} from '../figures/latent';
import { offMain } from '../figures/off-main';
import type { Pca } from '../figures/pca';
import { nextTask } from '../lib/frame';
import { createImageCache, type ImageCache } from '../lib/image-cache';
import { useAppStore } from './app';
import { callApi } from './call';
import { useOpenRunStore } from './open-run';
import { describeError } from '../api/errors';

/** The most latent points one `runs:decode` call takes (the contract's limit). */
export const decodeBatchLimit = 1024;
/** Images per gallery page, as in the notebook. */
export const galleryPageSize = 10;
export const manifoldLimits = { minN: 2, maxN: 30, minRange: 0.1, maxRange: 10 } as const;

/** The manifold on screen: the snapshot's own, or re-decoded for other settings. */
export interface ManifoldFigure {
  n: number;
  range: number;
  images: Uint8Array;
  labels: [string, string];
  epoch: number;
}

/** Three gallery rows for ten test images. */
export interface GalleryFigure {
  /** Test-set indices shown. */
  indices: number[];
  labels: number[];
  original: Uint8Array;
  /** Columns whose original image could not be loaded (drawn hatched). */
  missingOriginal: boolean[];
  /** Why the originals are missing, if they are. */
  originalsError: string | null;
  mean: Uint8Array;
  sampled: Uint8Array;
  /** True when all three rows are the snapshot's own. */
  fromSnapshot: boolean;
  epoch: number;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The figures of the open run (the open-run store's) at one epoch: which epoch,
 * the latent view, the manifold and gallery settings, decoding new points and
 * the test images. Its run, epochs and snapshots are the open-run store's.
 */
export const useExploreStore = defineStore('explore', () => {
  const app = useAppStore();
  const openRun = useOpenRunStore();
  /** The run's dataset: snapshot point i is image i of its test split. */
  const dataset = computed(() => openRun.run?.hyperparams.dataset ?? null);
  /** Follow the newest epoch as the run trains (the slider's right end). */
  const follow = ref(true);
  /** The epoch asked for; the snapshot shown may lag while it loads. */
  const requestedEpoch = ref<number | null>(null);
  const snapshot = shallowRef<Snapshot | null>(null);
  /** PCA of the shown snapshot's test codes, for latent spaces above two dimensions; null at or below. */
  const pca = shallowRef<Pca | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** PCA per snapshot object, so a snapshot shown again is not projected again. */
  let pcas = new WeakMap<Snapshot, Pca | null>();
  /** Test images per dataset, shared by the runs trained on it. */
  const testImages = new Map<string, ImageCache>();

  const view = ref<LatentView>({ kind: 'dims', dims: [0, 1] });
  const colormap = ref<ColormapName>('Greys_r');
  const manifoldN = ref(20);
  const manifoldRange = ref(2);
  const manifold = shallowRef<ManifoldFigure | null>(null);
  const manifoldLoading = ref(false);
  const manifoldError = ref<string | null>(null);
  /** null: the snapshot's fixed gallery; a number: test images from that index. */
  const galleryOffset = ref<number | null>(null);
  const gallery = shallowRef<GalleryFigure | null>(null);
  const galleryError = ref<string | null>(null);
  /** Test images at the two ends of the interpolation; clicks in the scatter set them in turn. */
  const interpolationEnds = ref<[number, number]>([0, 1]);
  let nextEnd = 0;

  const latentDim = computed(() => snapshot.value?.latent.latentDim ?? 0);
  const testCount = computed(() => snapshot.value?.latent.count ?? 0);
  const shownEpoch = computed(() => snapshot.value?.epoch ?? null);
  const latestEpoch = computed(() => openRun.snapshotEpochs.at(-1) ?? null);

  const plane = computed(() => markRaw(planeForView(view.value, Math.max(latentDim.value, 1), pca.value)));

  /** Forgets the figures of the previous run, as soon as another opens (they are never shown for it). */
  function reset(): void {
    requestedEpoch.value = null;
    loading.value = false;
    error.value = null;
    pcas = new WeakMap();
    snapshot.value = null;
    pca.value = null;
    manifold.value = null;
    gallery.value = null;
    galleryOffset.value = null;
    interpolationEnds.value = [0, 1];
    nextEnd = 0;
  }

  /** Fetches (or takes from the open run's cache) a snapshot; the latest request wins. */
  async function loadEpoch(epoch: number): Promise<void> {
    const id = openRun.runId;
    if (!id) return;
    requestedEpoch.value = epoch;
    const cached = openRun.peekSnapshot(epoch);
    if (cached && pcas.has(cached)) {
      setSnapshot(cached, pcas.get(cached) ?? null);
      return;
    }
    loading.value = true;
    const result = cached ? ok(cached) : await openRun.snapshot(epoch);
    // Decoding a large snapshot took this task; the figures it updates get the next one.
    if (!cached) await nextTask();
    const stale = () => openRun.runId !== id || requestedEpoch.value !== epoch;
    if (stale()) return;
    if (!result.ok) {
      loading.value = false;
      error.value = describeError(result.error);
      return;
    }
    const snap = result.value;
    // Shown together with its PCA, so no figure is drawn on a plane of another epoch.
    const snapPca = await pcaOf(snap);
    if (stale()) return;
    loading.value = false;
    pcas.set(snap, snapPca);
    setSnapshot(snap, snapPca);
  }

  /** The PCA of a snapshot's codes above two dimensions (tens of ms for 10,000 codes: in the figure worker). */
  async function pcaOf(snap: Snapshot): Promise<Pca | null> {
    const { latentDim: dim, count, zMu } = snap.latent;
    if (dim <= 2) return null;
    // Without a PCA the view falls back to the first two dimensions.
    const done = await offMain({ kind: 'pca', codes: zMu, count, dim }).catch(() => null);
    return done ? markRaw(done.result) : null;
  }

  function setSnapshot(snap: Snapshot, snapPca: Pca | null): void {
    const previous = snapshot.value;
    error.value = null;
    if (!previous) {
      const [a, b] = snap.galleryIndices;
      interpolationEnds.value = [a ?? 0, b ?? Math.min(1, snap.latent.count - 1)];
    }
    if (!previous || previous.latent.latentDim !== snap.latent.latentDim) {
      view.value = defaultView(snap.latent.latentDim);
      if (snap.latent.latentDim <= 2) {
        // Start from the snapshot's own manifold settings, so the first figure needs no decoding.
        manifoldN.value = snap.manifold.n;
        manifoldRange.value = snap.manifold.range;
      }
    }
    snapshot.value = snap;
    pca.value = snapPca;
    if (!previous) warmOriginals(snap);
  }

  /**
   * Asks once per dataset for the page after the fixed gallery: the page paging
   * shows first, and the core loads the dataset on its first use (a few hundred
   * ms for MNIST), which then no hover has to wait for.
   */
  function warmOriginals(snap: Snapshot): void {
    const images = testImageCache();
    if (!images || images.size > 0) return;
    const next = Array.from({ length: galleryPageSize }, (_, i) => galleryPageSize + i).filter(
      (i) => i < snap.latent.count && !snap.galleryIndices.includes(i),
    );
    if (next.length > 0) void loadOriginals(next);
  }

  /** Shows an epoch; the newest one resumes following the run. */
  function showEpoch(epoch: number): Promise<void> {
    follow.value = epoch === latestEpoch.value;
    return loadEpoch(epoch);
  }

  /** Follows the newest epoch again. */
  function followLatest(): Promise<void> {
    follow.value = true;
    return latestEpoch.value !== null ? loadEpoch(latestEpoch.value) : Promise.resolve();
  }

  /**
   * Decodes latent points with the run's decoder at the shown epoch, in calls
   * of at most {@link decodeBatchLimit}; resolves the images or a readable error.
   */
  async function decode(
    points: number[][],
    epoch = shownEpoch.value ?? undefined,
  ): Promise<Uint8Array | string> {
    const id = openRun.runId;
    if (!id) return 'No run is open.';
    const parts: Uint8Array[] = [];
    for (let start = 0; start < points.length; start += decodeBatchLimit) {
      const chunk = points.slice(start, start + decodeBatchLimit);
      const result = await callApi(app.api, 'runs:decode', {
        runId: id,
        points: chunk,
        ...(epoch ? { epoch } : {}),
      });
      if (!result.ok) return describeError(result.error);
      parts.push(result.value.images);
    }
    if (parts.length === 1) return parts[0] as Uint8Array;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  function testImageCache(): ImageCache | null {
    const name = dataset.value;
    if (!name) return null;
    const key = name.toLowerCase();
    let images = testImages.get(key);
    if (!images) {
      images = createImageCache({
        fetch: (indices) => callApi(app.api, 'datasets:images', { name, split: 'test', indices }),
        batchLimit: decodeBatchLimit,
      });
      if (testImages.size >= 4) testImages.delete(testImages.keys().next().value as string);
      testImages.set(key, images);
    }
    return images;
  }

  /** Test image `index` when it is at hand (the snapshot's fixed gallery, or loaded before). */
  function peekOriginal(index: number): Uint8Array | null {
    const s = snapshot.value;
    if (!s) return null;
    const k = s.galleryIndices.indexOf(index);
    if (k >= 0) return imageAt(s.gallery.original, s.imageShape, k);
    return testImageCache()?.peek(index) ?? null;
  }

  /**
   * The original test images at `indices` (the snapshot's own where it has
   * them, the rest in one `datasets:images` call per 1024), or a readable error.
   */
  async function loadOriginals(indices: readonly number[]): Promise<Uint8Array[] | string> {
    const s = snapshot.value;
    if (!s) return 'No run is open.';
    const images = testImageCache();
    if (!images) return 'The run’s dataset is not known, so its original images cannot be shown.';
    const fromSnapshot = indices.map((i) => {
      const k = s.galleryIndices.indexOf(i);
      return k >= 0 ? imageAt(s.gallery.original, s.imageShape, k) : null;
    });
    const rest = indices.filter((_, k) => fromSnapshot[k] === null);
    if (rest.length === 0) return fromSnapshot as Uint8Array[];
    const result = await images.load(rest);
    if (!result.ok) return describeError(result.error);
    const loaded = result.value;
    let next = 0;
    return fromSnapshot.map((image) => image ?? (loaded[next++] as Uint8Array));
  }

  let manifoldSeq = 0;
  /** Redraws the manifold for the current settings: the snapshot's own when they match, else decoded. */
  async function refreshManifold(): Promise<void> {
    const s = snapshot.value;
    const seq = ++manifoldSeq;
    if (!s) {
      manifold.value = null;
      return;
    }
    const n = Math.round(Math.min(Math.max(manifoldN.value, manifoldLimits.minN), manifoldLimits.maxN));
    const range = Math.min(Math.max(manifoldRange.value, manifoldLimits.minRange), manifoldLimits.maxRange);
    const p = plane.value;
    const v = view.value;
    if (
      v.kind === 'dims' &&
      s.manifold.n === n &&
      s.manifold.range === range &&
      sameNumbers(v.dims, s.manifold.dims)
    ) {
      manifold.value = markRaw({ n, range, images: s.manifold.images, labels: p.labels, epoch: s.epoch });
      manifoldError.value = null;
      manifoldLoading.value = false;
      return;
    }
    manifoldLoading.value = true;
    const images = await decode(manifoldPoints(p, n, range), s.epoch);
    if (seq !== manifoldSeq) return;
    manifoldLoading.value = false;
    if (typeof images === 'string') {
      manifoldError.value = images;
      return;
    }
    manifoldError.value = null;
    manifold.value = markRaw({ n, range, images, labels: p.labels, epoch: s.epoch });
  }

  let gallerySeq = 0;
  /** Rebuilds the gallery for the offset: the snapshot's rows, or rows 2–3 decoded from the test codes. */
  async function refreshGallery(): Promise<void> {
    const s = snapshot.value;
    const seq = ++gallerySeq;
    if (!s) {
      gallery.value = null;
      return;
    }
    const count = s.latent.count;
    const offset = galleryOffset.value;
    const indices =
      offset === null
        ? s.galleryIndices.slice()
        : Array.from(
            { length: Math.max(0, Math.min(galleryPageSize, count - offset)) },
            (_, i) => offset + i,
          );
    const labels = indices.map((i) => s.latent.labels[i] ?? 0);
    if (sameNumbers(indices, s.galleryIndices)) {
      gallery.value = markRaw({
        indices,
        labels,
        original: s.gallery.original,
        missingOriginal: indices.map(() => false),
        originalsError: null,
        mean: s.gallery.mean,
        sampled: s.gallery.sampled,
        fromSnapshot: true,
        epoch: s.epoch,
      });
      galleryError.value = null;
      return;
    }
    const dim = s.latent.latentDim;
    const means = indices.map((i) => latentRow(s.latent.zMu, i, dim));
    const samples = indices.map((i) => sampledLatent(s.latent.zMu, s.latent.zLogVar, i, dim));
    // Decoding and the originals are two calls to different places: ask for both at once.
    const [images, originals] = await Promise.all([
      decode([...means, ...samples], s.epoch),
      loadOriginals(indices),
    ]);
    if (seq !== gallerySeq) return;
    if (typeof images === 'string') {
      galleryError.value = images;
      return;
    }
    galleryError.value = null;
    const size = s.imageShape.height * s.imageShape.width * s.imageShape.channels;
    const found = typeof originals === 'string' ? indices.map(() => null) : originals;
    gallery.value = markRaw({
      indices,
      labels,
      original: stackImages(found, s.imageShape),
      missingOriginal: found.map((o) => o === null),
      originalsError: typeof originals === 'string' ? originals : null,
      mean: images.subarray(0, indices.length * size),
      sampled: images.subarray(indices.length * size, 2 * indices.length * size),
      fromSnapshot: false,
      epoch: s.epoch,
    });
  }

  /** Sets one end of the interpolation (A, then B, then A…) to a test image. */
  function pickForInterpolation(index: number): void {
    const ends: [number, number] = [...interpolationEnds.value];
    ends[nextEnd] = index;
    nextEnd = 1 - nextEnd;
    interpolationEnds.value = ends;
  }

  watch([snapshot, manifoldN, manifoldRange, plane], () => void refreshManifold());
  watch([snapshot, galleryOffset], () => void refreshGallery());

  watch(() => openRun.runId, reset, { flush: 'sync' });
  // Each load of the run (and the run already open when this store is made), and each new
  // snapshot epoch while following, shows the newest epoch.
  watch(
    [() => openRun.generation, latestEpoch],
    ([generation, latest], previous) => {
      if (generation !== previous?.[0]) {
        follow.value = true;
        error.value = null;
      }
      if (follow.value && latest !== null) void loadEpoch(latest);
    },
    { immediate: true },
  );

  return {
    dataset,
    follow,
    requestedEpoch,
    snapshot,
    loading,
    error,
    view,
    colormap,
    manifoldN,
    manifoldRange,
    manifold,
    manifoldLoading,
    manifoldError,
    galleryOffset,
    gallery,
    galleryError,
    interpolationEnds,
    latentDim,
    testCount,
    shownEpoch,
    latestEpoch,
    pca,
    plane,
    showEpoch,
    followLatest,
    decode,
    refreshManifold,
    refreshGallery,
    peekOriginal,
    loadOriginals,
    pickForInterpolation,
  };
});
