import { describe, expect, it, vi } from 'vitest';
import { boundsMessage, hyperparamFields, presets } from '../../../shared/hyperparams';
import { csvField, metricsCsv } from '../../../shared/csv';
import { estimateEta, formatDuration } from '../../../src-renderer/lib/eta';
import { formatCount, formatHyperparam, formatLoss } from '../../../src-renderer/lib/format';
import {
  changedKeys,
  formFromHyperparams,
  parseHidden,
  parseNumberField,
  validateForm,
} from '../../../src-renderer/lib/hyperparam-form';
import { createImageCache, type ImageBatch } from '../../../src-renderer/lib/image-cache';
import { latestOnly } from '../../../src-renderer/lib/latest-only';
import { modelSummary } from '../../../src-renderer/lib/model-size';
import {
  galleryProbe,
  hoverProbe,
  lossChartProbe,
  manifoldProbe,
  progressProbe,
  scatterProbe,
  timedPaint,
} from '../../../src-renderer/lib/probes';
import { shortcutFor, type KeyLike } from '../../../src-renderer/lib/shortcuts';
import { err, ok, type Result } from '../../../shared/result';
import { fakeEpoch } from './fixtures';
import { rowWindow } from '../../../src-renderer/composables/use-virtual-rows';

describe('ETA', () => {
  const base = {
    epoch: 2,
    step: 50,
    stepsPerEpoch: 100,
    totalEpochs: 3,
    batchSize: 64,
    samplesPerSecond: 640,
  };

  it('uses samples per second before any epoch has finished', () => {
    // 150 steps left × 64 images at 640 images/s.
    expect(estimateEta(base)).toBeCloseTo(15);
  });

  it('prefers the duration of finished epochs (which include the test pass)', () => {
    expect(estimateEta({ ...base, epochSeconds: [20, 30] })).toBeCloseTo(1.5 * 25);
  });

  it('is unknown without a rate', () => {
    expect(estimateEta({ ...base, samplesPerSecond: 0 })).toBeNull();
  });

  it('formats durations for people', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3840)).toBe('1 h 04 min');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('formatting', () => {
  it('formats losses and hyperparameters', () => {
    expect(formatLoss(152.345)).toBe('152.3');
    expect(formatLoss(6.12345)).toBe('6.123');
    expect(formatLoss(null)).toBe('—');
    expect(formatHyperparam(0.001)).toBe('1e-3');
    expect(formatHyperparam([512, 256])).toBe('512-256');
    expect(formatHyperparam(null)).toBe('all');
  });

  it('groups counts by thousands with commas, as en-US does', () => {
    const counts = [0, 7, 999, 1000, 10_000, 123_456, 1_234_567, -1234, 1234.6, -0.4];
    expect(counts.map(formatCount)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '10,000',
      '123,456',
      '1,234,567',
      '-1,234',
      '1,235',
      '0',
    ]);
    // As toLocaleString writes them, but for -0, which reads as 0.
    const nonZero = counts.filter((c) => Math.round(c) !== 0);
    expect(nonZero.map(formatCount)).toEqual(nonZero.map((c) => Math.round(c).toLocaleString('en-US')));
    expect(formatCount(Number.NaN)).toBe('NaN');
  });
});

describe('CSV', () => {
  it('quotes fields that need it', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
  });

  it('writes one row per epoch', () => {
    const lines = metricsCsv([fakeEpoch(1), fakeEpoch(2)])
      .trim()
      .split('\n');
    expect(lines[0]).toBe(
      'epoch,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,beta,seconds,samples_per_second',
    );
    expect(lines).toHaveLength(3);
    expect(lines[2]?.startsWith('2,')).toBe(true);
  });
});

describe('shortcuts', () => {
  const key = (k: string, over: Partial<KeyLike> = {}): KeyLike => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    target: null,
    ...over,
  });

  it('maps keys to views and actions', () => {
    expect(shortcutFor(key('n'))).toEqual({ kind: 'navigate', to: '/new' });
    expect(shortcutFor(key('2'))).toEqual({ kind: 'navigate', to: '/runs' });
    expect(shortcutFor(key('3'))).toEqual({ kind: 'navigate', to: '/compare' });
    expect(shortcutFor(key('5'))).toEqual({ kind: 'navigate', to: '/sweeps' });
    expect(shortcutFor(key('s'))).toEqual({ kind: 'stop' });
    expect(shortcutFor(key('?'))).toEqual({ kind: 'help' });
    expect(shortcutFor(key('x'))).toBeNull();
  });

  it('leaves typing and browser shortcuts alone', () => {
    expect(shortcutFor(key('n', { target: { tagName: 'INPUT' } }))).toBeNull();
    expect(shortcutFor(key('s', { target: { tagName: 'TEXTAREA' } }))).toBeNull();
    expect(shortcutFor(key('n', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('Escape', { target: { tagName: 'INPUT' } }))).toEqual({ kind: 'close' });
  });
});

describe('hyperparameter form', () => {
  it('names the field and its documented bounds', () => {
    const f = hyperparamFields.latentDim;
    expect(parseNumberField(f, '0')).toEqual({ error: 'Latent dimension must be an integer from 1 to 64.' });
    expect(parseNumberField(f, '2.5')).toEqual({ error: boundsMessage(f) });
    expect(parseNumberField(f, 'abc')).toEqual({ error: boundsMessage(f) });
    expect(parseNumberField(f, ' 20 ')).toEqual({ value: 20 });
    expect(parseNumberField(hyperparamFields.learningRate, '0')).toEqual({
      error: 'Learning rate must be a number greater than 0 and at most 1.',
    });
    expect(parseNumberField(hyperparamFields.learningRate, '1e-3')).toEqual({ value: 0.001 });
  });

  it('reads an empty limit as "all"', () => {
    expect(parseNumberField(hyperparamFields.trainLimit, '')).toEqual({ value: null });
    expect(parseNumberField(hyperparamFields.epochs, '')).toEqual({
      error: boundsMessage(hyperparamFields.epochs),
    });
  });

  it('parses hidden layers', () => {
    expect(parseHidden('256')).toEqual([256]);
    expect(parseHidden('512, 256')).toEqual([512, 256]);
    expect(parseHidden('')).toBeNull();
    expect(parseHidden('1, 2, 3, 4, 5')).toBeNull();
    expect(parseHidden('0')).toBeNull();
  });

  it('accepts every preset as it is', () => {
    for (const preset of presets) {
      const result = validateForm(formFromHyperparams(preset.hyperparams));
      expect(result.errors).toEqual({});
      expect(result.hyperparams).toEqual(preset.hyperparams);
    }
  });

  it('collects one message per invalid field', () => {
    const form = {
      ...formFromHyperparams(presets[0]!.hyperparams),
      epochs: '0',
      batchSize: '99999',
      hidden: 'x',
    };
    const result = validateForm(form);
    expect(result.hyperparams).toBeNull();
    expect(Object.keys(result.errors).sort()).toEqual(['batchSize', 'epochs', 'hidden']);
    expect(result.errors.batchSize).toBe('Batch size must be an integer from 1 to 4096.');
  });

  it('lists fields changed from the preset', () => {
    const form = { ...formFromHyperparams(presets[0]!.hyperparams), epochs: '30' };
    expect(changedKeys(form, presets[0]!.hyperparams)).toEqual(['epochs']);
  });
});

describe('model size', () => {
  const mnist = { height: 28, width: 28, channels: 1 };

  it("describes the notebook's mlp by its layer sizes and the engine's count", () => {
    expect(modelSummary({ arch: 'mlp', hidden: [256], latentDim: 2 }, mnist)).toEqual({
      shape: '784-256-2-256-784',
      params: 404_244,
    });
  });

  it('counts the conv architecture too', () => {
    expect(modelSummary({ arch: 'conv', hidden: [16], latentDim: 2 }, mnist)).toEqual({
      shape: 'Conv 32/64 stride 2 → Dense 16 → 2',
      params: 134_165,
    });
  });

  it('says why conv cannot take images whose sides are not divisible by 4', () => {
    const summary = modelSummary({ arch: 'conv', hidden: [16], latentDim: 2 }, { ...mnist, height: 30 });
    expect(summary.shape).toBe('conv');
    expect('error' in summary && summary.error).toMatch(/divisible by 4.*30×28/);
  });
});

describe('latestOnly', () => {
  it('runs one call at a time and only the newest waiting request', async () => {
    const seen: number[] = [];
    const results: number[] = [];
    let release: (() => void) | null = null;
    const call = vi.fn(
      (n: number) =>
        new Promise<number>((resolve) => {
          seen.push(n);
          release = () => resolve(n * 10);
        }),
    );
    const caller = latestOnly(call, (r) => results.push(r));
    caller.request(1);
    caller.request(2);
    caller.request(3);
    expect(seen).toEqual([1]);
    (release as unknown as () => void)();
    await vi.waitFor(() => expect(seen).toEqual([1, 3]));
    (release as unknown as () => void)();
    await vi.waitFor(() => expect(results).toEqual([30]));
    expect(call).toHaveBeenCalledTimes(2);
  });
});

describe('image cache', () => {
  /** 2×2 images whose four pixels are all the index (mod 256), so each image names itself. */
  function fetcher() {
    const calls: number[][] = [];
    const fetch = vi.fn((indices: number[]): Promise<Result<ImageBatch>> => {
      calls.push(indices.slice());
      const images = new Uint8Array(indices.length * 4);
      indices.forEach((index, k) => images.fill(index % 256, k * 4, k * 4 + 4));
      return Promise.resolve(ok({ images, count: indices.length, height: 2, width: 2, channels: 1 }));
    });
    return { calls, fetch };
  }

  it('fetches only what it lacks, once, in order, in calls of at most the limit', async () => {
    const { calls, fetch } = fetcher();
    const cache = createImageCache({ fetch, batchLimit: 3 });
    const first = await cache.load([5, 6, 7, 8, 5]);
    expect(first.ok && first.value.map((image) => Array.from(image))).toEqual([
      [5, 5, 5, 5],
      [6, 6, 6, 6],
      [7, 7, 7, 7],
      [8, 8, 8, 8],
      [5, 5, 5, 5],
    ]);
    expect(calls).toEqual([[5, 6, 7], [8]]);
    const second = await cache.load([9, 6]);
    expect(second.ok && second.value.map((image) => image[0])).toEqual([9, 6]);
    expect(calls.at(-1)).toEqual([9]);
    expect(Array.from(cache.peek(6) ?? [])).toEqual([6, 6, 6, 6]);
    expect(cache.peek(10)).toBeUndefined();
    expect(cache.size).toBe(5);
  });

  it('lets a second request for an image on its way wait for the first call', async () => {
    const { calls, fetch } = fetcher();
    const cache = createImageCache({ fetch });
    const [a, b] = await Promise.all([cache.load([1, 2]), cache.load([2, 3])]);
    expect(a.ok && b.ok).toBe(true);
    expect(calls).toEqual([[1, 2], [3]]);
  });

  it('forgets the oldest images past its capacity', async () => {
    const { calls, fetch } = fetcher();
    const cache = createImageCache({ fetch, capacity: 2 });
    await cache.load([1]);
    await cache.load([2]);
    await cache.load([3]);
    expect(cache.size).toBe(2);
    expect(cache.peek(1)).toBeUndefined();
    await cache.load([1]);
    expect(calls).toEqual([[1], [2], [3], [1]]);
  });

  it('passes a failure on and tries again next time', async () => {
    let fail = true;
    const cache = createImageCache({
      fetch: (indices) =>
        Promise.resolve(
          fail
            ? err<ImageBatch>('invalid_argument', 'Image 12 does not exist.')
            : ok({
                images: new Uint8Array(indices.length),
                count: indices.length,
                height: 1,
                width: 1,
                channels: 1,
              }),
        ),
    });
    expect(await cache.load([12])).toEqual(err('invalid_argument', 'Image 12 does not exist.'));
    fail = false;
    const again = await cache.load([12]);
    expect(again.ok && again.value).toHaveLength(1);
  });

  it('refuses an answer with fewer images than asked for', async () => {
    const cache = createImageCache({
      fetch: () =>
        Promise.resolve(ok({ images: new Uint8Array(1), count: 1, height: 1, width: 1, channels: 1 })),
    });
    const result = await cache.load([1, 2]);
    expect(result.ok).toBe(false);
  });
});

describe('probes', () => {
  // The names and values the end-to-end tests and bench/ui-bench.mjs wait on.
  it('gives each figure the attributes its readers wait on', () => {
    expect(scatterProbe({ points: 10000, epoch: 3, hidden: '0,4', drawMs: 12.5 })).toEqual({
      'data-points': 10000,
      'data-epoch': 3,
      'data-hidden': '0,4',
      'data-draw-ms': 12.5,
    });
    expect(scatterProbe({ points: 0, epoch: null, hidden: '', drawMs: null })).toEqual({
      'data-points': 0,
      'data-epoch': '',
      'data-hidden': '',
      'data-draw-ms': '',
    });
    expect(hoverProbe({ state: 'ready', kind: 'space' })).toEqual({
      'data-state': 'ready',
      'data-kind': 'space',
    });
    expect(hoverProbe({ state: 'idle', kind: null })).toEqual({ 'data-state': 'idle', 'data-kind': '' });
    expect(manifoldProbe({ n: 20, range: 4, loading: false, drawMs: 7 })).toEqual({
      'data-n': 20,
      'data-range': 4,
      'data-loading': false,
      'data-draw-ms': 7,
    });
    expect(galleryProbe({ offset: null, first: 0, missing: 0 })).toEqual({
      'data-offset': 'fixed',
      'data-shown': 0,
      'data-missing': 0,
    });
    expect(galleryProbe({ offset: 20, first: null, missing: null })).toEqual({
      'data-offset': 20,
      'data-shown': '',
      'data-missing': '',
    });
    expect(progressProbe(null)).toEqual({ 'data-status': '' });
    expect(progressProbe('completed')).toEqual({ 'data-status': 'completed' });
    expect(lossChartProbe(15)).toEqual({ 'data-points': 15 });
  });

  it('times a paint as the worker’s part plus the page’s, to 0.1 ms', () => {
    let painted = false;
    const ms = timedPaint(12.34, () => {
      painted = true;
    });
    expect(painted).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(12.3);
    expect(Math.round(ms * 10) / 10).toBe(ms);
  });
});

describe('row window', () => {
  it('renders the rows in view plus the overscan, and stands the rest in as space', () => {
    const base = { count: 10_000, rowHeight: 40, viewport: 400, overscan: 8 };
    // 11 rows in view (the 11th in part) and 8 on each side: 27 slots.
    expect(rowWindow({ ...base, scrollTop: 0 })).toEqual({
      start: 0,
      end: 19,
      padTop: 0,
      padBottom: 9981 * 40,
      slots: 27,
    });
    expect(rowWindow({ ...base, scrollTop: 4000 })).toEqual({
      start: 92,
      end: 119,
      padTop: 92 * 40,
      padBottom: (10_000 - 119) * 40,
      slots: 27,
    });
    // Scrolled to the very end, and past it (overscroll), never beyond the list.
    expect(rowWindow({ ...base, scrollTop: 400_000 })).toMatchObject({
      start: 9992,
      end: 10_000,
      padBottom: 0,
    });
    expect(rowWindow({ ...base, count: 3, scrollTop: -50 })).toEqual({
      start: 0,
      end: 3,
      padTop: 0,
      padBottom: 0,
      slots: 27,
    });
  });
});
