// @vitest-environment happy-dom
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { zipSync } from 'fflate';
import { flushPromises, mount } from '@vue/test-utils';
import { formatSize } from '../../../shared/bytes';
import { defineComponent, h, ref } from 'vue';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter, type Router } from 'vue-router';
import { hyperparamFields } from '../../../shared/hyperparams';
import type { DatasetInfo } from '../../../shared/contract';
import type { Result } from '../../../shared/result';
import type { RunSummary } from '../../../shared/run';
import App from '../../../src-renderer/App.vue';
import ExportPanel from '../../../src-renderer/components/ExportPanel.vue';
import { useStaged } from '../../../src-renderer/composables/use-staged';
import { routes } from '../../../src-renderer/router';
import { useAppStore } from '../../../src-renderer/stores/app';
import { useOpenRunStore } from '../../../src-renderer/stores/open-run';
import { receiveUploadFile } from '../../../src-main/datasets/uploads';
import { writeTinyIdxSet } from '../../fixtures/datasets/idx-fixtures';
import { openTestCore, tinyHyperparams, workerBuilt, type SpyApi, type TestCore } from './real-core';

// Against the real core (in process, real SQLite and training worker): build it with `npm run build:node`.
const suite = workerBuilt ? describe : describe.skip;

let t: TestCore;
let api: SpyApi;
/** A completed run of three epochs: the figures' tests read it. */
let three: RunSummary;
let pinia: Pinia;
let router: Router;

async function mountAt(path: string) {
  router = createRouter({ history: createMemoryHistory(), routes });
  await router.push(path);
  await router.isReady();
  const wrapper = mount(App, { global: { plugins: [pinia, router] }, attachTo: document.body });
  await flushPromises();
  await flushPromises();
  return wrapper;
}

/**
 * The runs view on a core of its own holding `count` stopped runs, written straight to its
 * store (training each would take minutes); `ids` newest first, as listed.
 */
async function runsViewWith(count: number) {
  const own = openTestCore();
  useAppStore().attach(own.api);
  const hp = { ...tinyHyperparams, dataset: 'mnist' };
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const run = own.core.store.createRun({ hyperparams: hp, datasetHash: 'sha256:x', name: `run ${i}` });
    own.core.store.setStatus({ runId: run.id, status: 'stopped' });
    ids.unshift(run.id);
  }
  const w = await mountAt('/runs');
  await vi.waitFor(() => expect(w.find('[data-testid="runs-count"]').text()).toBe(`${count} runs`));
  return { w, ids, close: () => own.close() };
}

/** Starts a run of the tiny size without waiting for it. */
async function startRun(epochs: number, trainLimit = tinyHyperparams.trainLimit): Promise<string> {
  const started = await t.core.dispatch('runs:start', {
    hyperparams: { ...tinyHyperparams, epochs, trainLimit },
    backend: 'wasm',
  });
  if (!started.ok) throw new Error(started.error.message);
  return (started.value as RunSummary).id;
}

beforeAll(async () => {
  if (!workerBuilt) return;
  t = openTestCore();
  api = t.api;
  three = await t.train({ hyperparams: { epochs: 3 }, name: 'three epochs' });
});

afterAll(async () => {
  await t?.close();
});

beforeEach(() => {
  document.body.innerHTML = '';
  pinia = createPinia();
  setActivePinia(pinia);
  if (!workerBuilt) return;
  api.restore();
  api.calls.length = 0;
  useAppStore().attach(api);
});

suite('New run', () => {
  it('has a field for every hyperparameter of the schema, presets and the backend', async () => {
    const w = await mountAt('/new');
    for (const key of Object.keys(hyperparamFields))
      expect(w.find(`[data-testid="hp-${key}"]`).exists()).toBe(true);
    expect(w.find('[data-testid="hp-arch"]').exists()).toBe(true);
    expect(w.find('[data-testid="hp-hidden"]').exists()).toBe(true);
    expect(w.find('[data-testid="preset-keras-blog"]').attributes('aria-pressed')).toBe('true');
    expect(w.find('[data-testid="backend-effective"]').text()).toContain('wasm');
    expect(w.find('[data-testid="model-summary"]').text()).toContain('404,244 parameters');
    expect((w.find('[data-testid="dataset-select"]').element as HTMLSelectElement).value).toBe('mnist');
    w.unmount();
  });

  it('shows the bounds under a field as soon as it is wrong', async () => {
    const w = await mountAt('/new');
    await w.find('[data-testid="hp-latentDim"]').setValue('100');
    expect(w.find('[data-testid="hp-latentDim-error"]').text()).toBe(
      'Latent dimension must be an integer from 1 to 64.',
    );
    expect(w.find('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    await w.find('[data-testid="hp-latentDim"]').setValue('20');
    expect(w.find('[data-testid="hp-latentDim-error"]').exists()).toBe(false);
    w.unmount();
  });

  it("sizes the conv model too, from the engine's plan", async () => {
    const w = await mountAt('/new');
    await w.find('[data-testid="preset-keras-conv"]').trigger('click');
    expect(w.find('[data-testid="model-summary"]').text()).toBe(
      'Conv 32/64 stride 2 → Dense 16 → 2 · 134,165 parameters',
    );
    w.unmount();
  });

  it('applies a preset and starts the run, then opens it', async () => {
    const w = await mountAt('/new');
    await w.find('[data-testid="preset-pytorch-example"]').trigger('click');
    expect((w.find('[data-testid="hp-latentDim"]').element as HTMLInputElement).value).toBe('20');
    // A tiny run of the preset: the real core trains it.
    await w.find('[data-testid="hp-epochs"]').setValue('1');
    await w.find('[data-testid="hp-trainLimit"]').setValue('256');
    await w.find('[data-testid="hp-testLimit"]').setValue('100');
    const ended = t.next('run:status', ({ run }) => run.status === 'completed');
    await w.find('[data-testid="new-run-form"]').trigger('submit');
    await flushPromises();
    const started = api.callsOf('runs:start')[0];
    expect(started?.hyperparams.latentDim).toBe(20);
    expect(started?.hyperparams.batchSize).toBe(128);
    const { run } = await ended;
    expect(run.hyperparams.hidden).toEqual([400]);
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe(`/runs/${run.id}`), {
      timeout: 20_000,
    });
    w.unmount();
  });

  it('imports a dataset with progress and selects it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-idx-'));
    const tiny = await writeTinyIdxSet(dir);
    // The core imports for real once the test lets it: the progress shown meanwhile is the test's.
    let finish: (() => void) | null = null;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    api.handle('datasets:import', async (arg) => {
      await gate;
      return (await t.core.dispatch('datasets:import', arg)) as Result<DatasetInfo>;
    });
    const w = await mountAt('/new');
    await w.find('[data-testid="dataset-import-toggle"]').trigger('click');
    await w.find('[data-testid="dataset-import-name"]').setValue('tiny');
    await w.find('[data-testid="dataset-import-paths"]').setValue(tiny.files.join('\n'));
    await w.find('[data-testid="dataset-import-submit"]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid="dataset-import-progress"]').exists()).toBe(true);
    api.emit('dataset:progress', { name: 'tiny', done: 300, total: 1200 });
    await flushPromises();
    expect(w.find('[data-testid="dataset-import-progress"]').text()).toContain('300 / 1,200 images');
    (finish as unknown as () => void)();
    await vi.waitFor(() => expect(w.find('[data-testid="dataset-import-progress"]').exists()).toBe(false), {
      timeout: 20_000,
    });
    expect((w.find('[data-testid="dataset-select"]').element as HTMLSelectElement).value).toBe('tiny');
    w.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports with class names, shows them, renames them and refuses a list of the wrong length', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-idx-'));
    const tiny = await writeTinyIdxSet(dir);
    const w = await mountAt('/new');
    await w.find('[data-testid="dataset-import-toggle"]').trigger('click');
    await w.find('[data-testid="dataset-import-name"]').setValue('named');
    await w.find('[data-testid="dataset-import-paths"]').setValue(tiny.files.join('\n'));
    await w.find('[data-testid="dataset-import-class-names"]').setValue('cat, dog, eel');
    await w.find('[data-testid="dataset-import-submit"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="dataset-class-names"]').exists()).toBe(true));
    expect(w.find('[data-testid="dataset-class-names"]').text()).toBe('cat, dog, eel');
    await w.find('[data-testid="dataset-class-names-edit"]').trigger('click');
    await w.find('[data-testid="dataset-class-names-input"]').setValue('cat\ndog');
    await w.find('[data-testid="dataset-class-names-save"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="dataset-class-names-error"]').exists()).toBe(true));
    expect(w.find('[data-testid="dataset-class-names-error"]').text()).toContain('the dataset has 3 classes');
    await w.find('[data-testid="dataset-class-names-input"]').setValue('cat\ndog\nfish');
    await w.find('[data-testid="dataset-class-names-save"]').trigger('click');
    await vi.waitFor(() =>
      expect(w.find('[data-testid="dataset-class-names"]').text()).toBe('cat, dog, fish'),
    );
    const listed = await api.call['datasets:list']({});
    expect(listed.ok && listed.value.find((d) => d.name === 'named')?.labels).toEqual(['cat', 'dog', 'fish']);
    w.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a dataset as one zip; an upload that breaks off says so, and trying again imports', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vae-zip-'));
    const tiny = await writeTinyIdxSet(dir);
    const zipped = zipSync(
      Object.fromEntries(tiny.files.map((f) => [path.basename(f), new Uint8Array(readFileSync(f))])),
    );
    window.sessionStorage.setItem('vae-studio-token', 'test-token');
    // The page's requests reach the server's own upload code; the first one's connection drops.
    let connected = false;
    class Upload {
      status = 0;
      responseText = '';
      upload = { addEventListener: () => undefined };
      private url = '';
      private readonly handlers = new Map<string, () => void>();
      open(_method: string, url: string): void {
        this.url = url;
      }
      setRequestHeader(): void {}
      addEventListener(type: string, handler: () => void): void {
        this.handlers.set(type, handler);
      }
      send(): void {
        const [, , id = '', ...rest] = this.url.split('/');
        if (!connected) {
          setTimeout(() => this.handlers.get('error')?.(), 0);
          return;
        }
        void receiveUploadFile({
          dataDir: t.core.dataDir,
          id,
          relative: rest.map(decodeURIComponent).join('/'),
          body: Readable.from([Buffer.from(zipped)]),
        }).then(() => {
          this.status = 204;
          this.handlers.get('load')?.();
        });
      }
    }
    vi.stubGlobal('XMLHttpRequest', Upload);
    const deleted: string[] = [];
    vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
      deleted.push(`${init.method ?? 'GET'} ${url}`);
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    try {
      const w = await mountAt('/new');
      await w.find('[data-testid="dataset-import-toggle"]').trigger('click');
      await w.find('[data-testid="dataset-import-name"]').setValue('zipped');
      const input = w.find('[data-testid="dataset-upload-zip"]');
      Object.defineProperty(input.element, 'files', {
        value: [new File([zipped], 'tiny.zip', { type: 'application/zip' })],
      });
      await input.trigger('change');
      expect(w.find('[data-testid="dataset-upload-chosen"]').text()).toBe(
        '1 file, 0.0 MB to upload; the paths below are not used.',
      );
      await w.find('[data-testid="dataset-import-submit"]').trigger('click');
      await vi.waitFor(() =>
        expect(w.find('[data-testid="dataset-import-error"]').text()).toBe(
          'The upload broke off at tiny.zip; nothing was kept. Check the connection and try again.',
        ),
      );
      // The page asked the server to drop what it had of that upload.
      expect(deleted).toEqual([expect.stringMatching(/^DELETE \/upload\/[0-9a-f]{32}$/)]);
      connected = true;
      await w.find('[data-testid="dataset-import-submit"]').trigger('click');
      await vi.waitFor(
        () =>
          expect((w.find('[data-testid="dataset-select"]').element as HTMLSelectElement).value).toBe(
            'zipped',
          ),
        { timeout: 20_000 },
      );
      expect(w.find('[data-testid="dataset-import-error"]').exists()).toBe(false);
      w.unmount();
    } finally {
      vi.unstubAllGlobals();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('offers no file dialog in browser mode', async () => {
    const w = await mountAt('/new');
    await w.find('[data-testid="dataset-import-toggle"]').trigger('click');
    expect(w.find('[data-testid="dataset-choose"]').exists()).toBe(false);
    w.unmount();
  });

  it("fills the paths from the desktop app's file dialog, and keeps them when it is cancelled", async () => {
    const info = await api.call['app:info']({});
    if (!info.ok) throw new Error('no app info');
    api.handle('app:info', () =>
      Promise.resolve({ ok: true, value: { ...info.value, canChoosePaths: true } }),
    );
    const answers = [['/d/train-images-idx3-ubyte', '/d/train-labels-idx1-ubyte'], [], ['/pictures/cats']];
    api.handle('app:choosePaths', () =>
      Promise.resolve({ ok: true, value: { paths: answers.shift() ?? [] } }),
    );
    const w = await mountAt('/new');
    await w.find('[data-testid="dataset-import-toggle"]').trigger('click');
    await w.find('[data-testid="dataset-choose"]').trigger('click');
    await flushPromises();
    const paths = () => (w.find('[data-testid="dataset-import-paths"]').element as HTMLTextAreaElement).value;
    expect(paths()).toBe('/d/train-images-idx3-ubyte\n/d/train-labels-idx1-ubyte');
    await w.find('[data-testid="dataset-choose"]').trigger('click');
    await flushPromises();
    expect(paths()).toBe('/d/train-images-idx3-ubyte\n/d/train-labels-idx1-ubyte');
    await w.find('[data-testid="dataset-import-kind-folder"]').trigger('click');
    await w.find('[data-testid="dataset-choose"]').trigger('click');
    await flushPromises();
    expect((w.find('[data-testid="dataset-import-path"]').element as HTMLInputElement).value).toBe(
      '/pictures/cats',
    );
    expect(api.callsOf('app:choosePaths')).toEqual([{ kind: 'idx' }, { kind: 'idx' }, { kind: 'folder' }]);
    w.unmount();
  });
});

suite('Runs', () => {
  it('says what to do when there are no runs', async () => {
    // A core of its own: this file's has runs.
    const empty = openTestCore();
    useAppStore().attach(empty.api);
    const w = await mountAt('/runs');
    expect(w.find('[data-testid="runs-empty"]').text()).toContain('New run');
    w.unmount();
    await empty.close();
  });

  it('lists runs with their final test loss and deletes after confirmation', async () => {
    const run = await t.train({ name: 'seed run', hyperparams: { epochs: 2 } });
    const w = await mountAt('/runs');
    const row = w.find(`[data-testid="run-row-${run.id}"]`);
    expect(row.text()).toContain('seed run');
    expect(w.find(`[data-testid="run-loss-${run.id}"]`).text()).toBe(run.lastTest?.loss.toFixed(1));
    // Its size, as the store measures it (a trained run holds megabytes of figures and weights).
    const listed = await api.call['runs:get']({ runId: run.id });
    if (!listed.ok) throw new Error(listed.error.message);
    expect(w.find(`[data-testid="run-size-${run.id}"]`).text()).toBe(
      formatSize(listed.value.sizeBytes ?? -1),
    );
    await w.find(`[data-testid="run-delete-${run.id}"]`).trigger('click');
    expect(document.querySelector('[data-testid="confirm-dialog"]')).not.toBeNull();
    expect(api.callsOf('runs:delete')).toEqual([]);
    await w.find('[data-testid="confirm-ok"]').trigger('click');
    await flushPromises();
    expect(api.callsOf('runs:delete')).toEqual([{ runId: run.id }]);
    expect(w.find(`[data-testid="run-row-${run.id}"]`).exists()).toBe(false);
    w.unmount();
  });

  it('renders only the rows in view of a long list, and ticks survive scrolling', async () => {
    const { w, ids, close } = await runsViewWith(300);
    const rendered = () => w.findAll('[data-testid^="run-row-"]').map((r) => r.attributes('data-testid'));
    // jsdom has no layout: the box's height is estimated as the view sets it, the window's
    // 768 px less the 210 px around the box, 556 px inside its borders; under the 40 px
    // header 13 rows are in view (the 13th in part), one more and 4 below are rendered.
    expect(rendered()).toEqual(ids.slice(0, 18).map((id) => `run-row-${id}`));
    await w.find(`[data-testid="run-select-${ids[0]}"]`).setValue(true);
    const scroller = w.find('[data-testid="runs-scroll"]').element as HTMLElement;
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, value: 200 * 40 });
    scroller.dispatchEvent(new Event('scroll'));
    await flushPromises();
    expect(rendered()[0]).toBe(`run-row-${ids[196]}`);
    expect(w.find(`[data-testid="run-row-${ids[0]}"]`).exists()).toBe(false);
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, value: 0 });
    scroller.dispatchEvent(new Event('scroll'));
    await flushPromises();
    expect((w.find(`[data-testid="run-select-${ids[0]}"]`).element as HTMLInputElement).checked).toBe(true);
    w.unmount();
    await close();
  });

  it('hands a scrolled-out row’s elements to the row scrolling in, but not its focus', async () => {
    const { w, ids, close } = await runsViewWith(300);
    const rowElements = () => w.findAll('[data-testid^="run-row-"]').map((r) => r.element);
    const before = new Set(rowElements());
    const scroller = w.find('[data-testid="runs-scroll"]').element as HTMLElement;
    const scrollTo = async (top: number) => {
      Object.defineProperty(scroller, 'scrollTop', { configurable: true, value: top });
      scroller.dispatchEvent(new Event('scroll'));
      await flushPromises();
    };
    // A row that stays in view keeps its focus.
    const tick = (id: string) => w.find(`[data-testid="run-select-${id}"]`).element as HTMLElement;
    tick(ids[6]!).focus();
    await scrollTo(2 * 40);
    expect(document.activeElement).toBe(tick(ids[6]!));
    // Far down, every row shows another run in the same elements; the focused one left the
    // focus on the box rather than on another run's tick box.
    await scrollTo(200 * 40);
    // (At the top no rows are rendered above the view: 18 then, 22 from here on.)
    const after = rowElements();
    expect([before.size, after.length]).toEqual([18, 22]);
    expect([...before].every((e) => after.includes(e))).toBe(true);
    expect(w.find(`[data-testid="run-row-${ids[6]}"]`).exists()).toBe(false);
    expect(document.activeElement).toBe(scroller);
    // Each element shows its new run whole: name, tick box and place.
    const first = w.find(`[data-testid="run-row-${ids[196]}"]`);
    expect(first.find(`[data-testid="run-link-${ids[196]}"]`).text()).toBe('run 103');
    expect(first.attributes('aria-rowindex')).toBe('198');
    w.unmount();
    await close();
  });

  it('is a table to assistive technology, and arrows move between rows', async () => {
    const { w, ids, close } = await runsViewWith(3);
    const table = w.find('[data-testid="runs-table"]');
    expect(table.attributes('role')).toBe('table');
    expect(table.attributes('aria-rowcount')).toBe('4');
    expect(w.findAll('[role="columnheader"]')).toHaveLength(11);
    const rows = w.findAll('[data-testid^="run-row-"]');
    expect(rows.map((r) => [r.attributes('role'), r.attributes('aria-rowindex')])).toEqual([
      ['row', '2'],
      ['row', '3'],
      ['row', '4'],
    ]);
    expect(rows[0]!.findAll('[role="cell"]')).toHaveLength(11);
    // Down from the first run's link lands on the second run's link; up from a tick box on the one above.
    const link = (id: string) => w.find(`[data-testid="run-link-${id}"]`).element as HTMLElement;
    const tick = (id: string) => w.find(`[data-testid="run-select-${id}"]`).element as HTMLElement;
    link(ids[0]!).focus();
    await w.find(`[data-testid="run-link-${ids[0]}"]`).trigger('keydown', { key: 'ArrowDown' });
    await flushPromises();
    expect(document.activeElement).toBe(link(ids[1]!));
    tick(ids[2]!).focus();
    await w.find(`[data-testid="run-select-${ids[2]}"]`).trigger('keydown', { key: 'ArrowUp' });
    await flushPromises();
    expect(document.activeElement).toBe(tick(ids[1]!));
    // No row below the last: focus stays.
    await w.find(`[data-testid="run-select-${ids[1]}"]`).trigger('keydown', { key: 'ArrowDown' });
    await w.find(`[data-testid="run-select-${ids[2]}"]`).trigger('keydown', { key: 'ArrowDown' });
    await flushPromises();
    expect(document.activeElement).toBe(tick(ids[2]!));
    w.unmount();
    await close();
  });

  it('renames in place', async () => {
    const run = await t.train({ name: 'before' });
    const w = await mountAt('/runs');
    await w.find(`[data-testid="run-rename-${run.id}"]`).trigger('click');
    await w.find('[data-testid="run-rename-input"]').setValue('after');
    await w.find('[data-testid="run-rename-save"]').trigger('click');
    await flushPromises();
    expect(w.find(`[data-testid="run-link-${run.id}"]`).text()).toBe('after');
    w.unmount();
  });

  it('shows API errors as sentences', async () => {
    api.fail('runs:list', 'internal', '');
    const w = await mountAt('/runs');
    expect(w.find('[data-testid="runs-error"]').text()).toBe(
      'Something went wrong inside VAE Studio; the details are in its log.',
    );
    w.unmount();
  });
});

describe('staged mounting', () => {
  it('shows one more part per task while active, none when not', async () => {
    const active = ref(false);
    const seen: number[] = [];
    const w = mount(
      defineComponent(() => {
        const stage = useStaged(() => active.value, 3);
        return () => {
          seen.push(stage.value);
          return h('p', String(stage.value));
        };
      }),
    );
    active.value = true;
    await vi.waitFor(() => expect(w.text()).toBe('3'), { timeout: 20_000 });
    // Each step rendered on its own: one task each.
    expect(seen).toEqual([0, 1, 2, 3]);
    active.value = false;
    await flushPromises();
    expect(w.text()).toBe('0');
    w.unmount();
  });
});

suite('Run view of a finished run', () => {
  it('draws the figures of the latest epoch and moves with the slider', async () => {
    const w = await mountAt(`/runs/${three.id}`);
    await flushPromises();
    // The figures mount one per task, the KL chart last.
    await vi.waitFor(() => expect(w.find('[data-testid="kl-chart"]').exists()).toBe(true), {
      timeout: 20_000,
    });
    for (const id of [
      'gallery',
      'scatter-canvas',
      'manifold-canvas',
      'loss-chart',
      'kl-chart',
      'epoch-slider',
    ]) {
      expect(w.find(`[data-testid="${id}"]`).exists(), id).toBe(true);
    }
    expect(w.find('[data-testid="epoch-value"]').text()).toBe('3');
    await w.find('[data-testid="epoch-slider"]').setValue('0');
    // The store takes a new task between receiving a snapshot and showing it.
    await vi.waitFor(() => expect(w.find('[data-testid="epoch-value"]').text()).toBe('1'), {
      timeout: 20_000,
    });
    expect(w.find('[data-testid="epoch-value"]').text()).toBe('1');
    expect(w.find('[data-testid="manifold-canvas"]').attributes('data-n')).toBe('20');
    w.unmount();
  });

  it('pages the gallery to real originals from the run’s dataset', async () => {
    const w = await mountAt(`/runs/${three.id}`);
    const gallery = () => w.find('[data-testid="gallery"]');
    await vi.waitFor(() => expect(gallery().attributes('data-offset')).toBe('fixed'), { timeout: 20_000 });
    await w.find('[data-testid="gallery-next"]').trigger('click');
    await vi.waitFor(() => expect(gallery().attributes('data-shown')).toBe('10'), { timeout: 20_000 });
    expect(gallery().attributes('data-missing')).toBe('0');
    // That page was asked for when the run opened; paging to it asks nothing more.
    expect(api.callsOf('datasets:images')).toEqual([
      { name: 'mnist', split: 'test', indices: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19] },
    ]);
    await w.find('[data-testid="gallery-next"]').trigger('click');
    await vi.waitFor(() => expect(gallery().attributes('data-shown')).toBe('20'), { timeout: 20_000 });
    expect(api.callsOf('datasets:images').at(-1)?.indices).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    w.unmount();
  });
});

suite('Export panel', () => {
  it('refuses to write a report over another one unless told to replace it', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vae-export-view-'));
    try {
      const dir = path.join(out, 'report');
      const w = mount(ExportPanel, {
        props: { run: three, epochs: [], batches: [], epoch: null },
        global: { plugins: [pinia] },
      });
      await w.find('[data-testid="export-dir"]').setValue(dir);
      await w.find('[data-testid="export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="export-result"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      await w.find('[data-testid="export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="export-error"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      expect(w.find('[data-testid="export-error"]').text()).toContain(
        `The report folder ${dir} is not empty`,
      );
      const defaults = { scale: 2, formats: ['png', 'svg'], background: 'light' };
      expect(api.callsOf('runs:export').at(-1)).toEqual({ runId: three.id, dir, ...defaults });
      await w.find('[data-testid="export-overwrite"]').setValue(true);
      await w.find('[data-testid="export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="export-result"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      expect(api.callsOf('runs:export').at(-1)).toEqual({
        runId: three.id,
        dir,
        overwrite: true,
        ...defaults,
      });
      expect(w.find('[data-testid="export-error"]').exists()).toBe(false);
      w.unmount();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

suite('Run view of a run in the worker’s hands', () => {
  // A long run holds the worker, so the runs these tests start stay queued: active, with no
  // progress but the test's own, whatever the machine's speed.
  let blocker = '';
  beforeAll(async () => {
    blocker = await startRun(100, 60_000);
    await t.next('run:progress', (p) => p.runId === blocker);
  });
  afterAll(async () => {
    const stopped = t.next('run:status', ({ run }) => run.id === blocker && run.status === 'stopped');
    await t.core.dispatch('runs:stop', { runId: blocker });
    await stopped;
  });

  it('shows progress, stops, and says when figures will come', async () => {
    const run = { summary: { id: await startRun(5) } };
    const w = await mountAt(`/runs/${run.summary.id}`);
    // The part below the chart mounts a task after the run's head.
    await vi.waitFor(() => expect(w.find('[data-testid="figures-empty"]').text()).toContain('epoch 1 ends'), {
      timeout: 20_000,
    });
    api.emit('run:progress', {
      runId: run.summary.id,
      epoch: 1,
      step: 50,
      stepsPerEpoch: 100,
      train: { loss: 200, recon: 190, kl: 10 },
      samplesPerSecond: 3200,
    });
    await flushPromises();
    expect(w.find('[data-testid="progress-epoch"]').text()).toBe('1 / 5');
    expect(w.find('[data-testid="progress-step"]').text()).toBe('50 / 100');
    expect(w.find('[data-testid="progress-speed"]').text()).toBe('3,200 samples/s');
    expect(w.find('[data-testid="progress-eta"]').text()).not.toBe('—');
    expect(w.find('[data-testid="progress-bar"]').attributes('aria-valuenow')).toBe('10');
    await w.find('[data-testid="stop-run"]').trigger('click');
    await flushPromises();
    expect(api.callsOf('runs:stop')).toEqual([{ runId: run.summary.id }]);
    expect(w.find('[data-testid="resume-run"]').exists()).toBe(true);
    w.unmount();
  });

  it('takes new batches into the loss chart at most four times a second', async () => {
    const run = { summary: { id: await startRun(5) } };
    const w = await mountAt(`/runs/${run.summary.id}`);
    const points = () => w.find('[data-testid="loss-chart"]').attributes('data-points');
    // Steps per epoch known (from the dataset's size), so only the batches change below.
    await vi.waitFor(() => expect(useOpenRunStore().stepsPerEpoch).toBe(4), { timeout: 20_000 });
    await flushPromises();
    expect(points()).toBe('0');
    for (let step = 1; step <= 5; step++) {
      api.emit('run:progress', {
        runId: run.summary.id,
        epoch: 1,
        step,
        // As many as the dataset and batch size give (256 / 64), so only the batches change.
        stepsPerEpoch: 4,
        train: { loss: 200 - step, recon: 190 - step, kl: 10 },
        samplesPerSecond: 3200,
      });
    }
    await flushPromises();
    expect(points()).toBe('0');
    // Per batch while training: loss, reconstruction and KL for five batches.
    await vi.waitFor(() => expect(points()).toBe('15'), { timeout: 20_000 });
    w.unmount();
  });

  it('stops with the S key', async () => {
    const run = { summary: { id: await startRun(1) } };
    const w = await mountAt(`/runs/${run.summary.id}`);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 's' }));
    await flushPromises();
    expect(api.callsOf('runs:stop')).toHaveLength(1);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '2' }));
    await flushPromises();
    expect(router.currentRoute.value.path).toBe('/runs');
    w.unmount();
  });
});

suite('Report choices', () => {
  it('writes the report at the scale, in the formats and on the background chosen', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vae-export-view-'));
    try {
      const dir = path.join(out, 'report');
      const w = mount(ExportPanel, {
        props: { run: three, epochs: [], batches: [], epoch: 2 },
        global: { plugins: [pinia] },
      });
      expect(w.findAll('[data-testid="export-scale"] option').map((o) => o.text())).toEqual([
        '1×',
        '2×',
        '3×',
      ]);
      expect(w.findAll('[data-testid="export-background"] option').map((o) => o.text())).toEqual([
        'light',
        'dark',
        'transparent',
      ]);
      await w.find('[data-testid="export-dir"]').setValue(dir);
      await w.find('[data-testid="export-scale"]').setValue('3');
      await w.find('[data-testid="export-format-png"]').setValue(false);
      await w.find('[data-testid="export-background"]').setValue('dark');
      await w.find('[data-testid="export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="export-result"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      expect(api.callsOf('runs:export').at(-1)).toEqual({
        runId: three.id,
        dir,
        epoch: 2,
        scale: 3,
        formats: ['svg'],
        background: 'dark',
      });
      expect(w.find('[data-testid="export-result"]').text()).toContain('manifold.svg');
      expect(w.find('[data-testid="export-result"]').text()).not.toContain('manifold.png');
      w.unmount();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('shows the API schema’s refusal when no format is ticked, and writes nothing', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vae-export-view-'));
    try {
      const dir = path.join(out, 'report');
      const w = mount(ExportPanel, {
        props: { run: three, epochs: [], batches: [], epoch: null },
        global: { plugins: [pinia] },
      });
      await w.find('[data-testid="export-dir"]').setValue(dir);
      await w.find('[data-testid="export-format-png"]').setValue(false);
      await w.find('[data-testid="export-format-svg"]').setValue(false);
      await w.find('[data-testid="export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="export-error"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      expect(w.find('[data-testid="export-error"]').text()).toContain(
        'formats must name at least one of png, svg.',
      );
      expect(existsSync(dir)).toBe(false);
      w.unmount();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

suite('Compare', () => {
  it('asks for runs, then overlays them and filters the table', async () => {
    const a = { summary: await t.train({ name: 'a' }) };
    const b = { summary: await t.train({ name: 'b', hyperparams: { beta: 4 } }) };
    const w = await mountAt('/compare');
    expect(w.find('[data-testid="compare-empty"]').exists()).toBe(true);
    await w.find(`[data-testid="compare-pick-${a.summary.id}"]`).setValue(true);
    await flushPromises();
    await w.find(`[data-testid="compare-pick-${b.summary.id}"]`).setValue(true);
    await flushPromises();
    expect(router.currentRoute.value.query.runs).toBe(`${a.summary.id},${b.summary.id}`);
    expect(w.find('[data-testid="compare-chart"]').exists()).toBe(true);
    await w.find('[data-testid="compare-only-diff"]').setValue(true);
    expect(w.findAll('[data-testid^="compare-row-"]').map((r) => r.attributes('data-testid'))).toEqual([
      'compare-row-beta',
    ]);
    expect(w.find(`[data-testid="compare-manifold-${b.summary.id}"]`).exists()).toBe(true);
    w.unmount();
  });

  it('writes the compare report of the runs picked, at the epoch shown, with the choices made', async () => {
    const a = await t.train({ name: 'report a' });
    const b = await t.train({ name: 'report b', hyperparams: { beta: 4 } });
    const out = mkdtempSync(path.join(os.tmpdir(), 'vae-compare-view-'));
    try {
      const dir = path.join(out, 'compare');
      const w = await mountAt(`/compare?runs=${a.id},${b.id}`);
      await vi.waitFor(() => expect(w.find('[data-testid="compare-export-report"]').exists()).toBe(true), {
        timeout: 20_000,
      });
      await w.find('[data-testid="compare-export-dir"]').setValue(dir);
      await w.find('[data-testid="compare-export-scale"]').setValue('1');
      await w.find('[data-testid="compare-export-report"]').trigger('click');
      await vi.waitFor(() => expect(w.find('[data-testid="compare-export-result"]').exists()).toBe(true), {
        timeout: 30_000,
      });
      expect(api.callsOf('runs:exportCompare').at(-1)).toEqual({
        runIds: [a.id, b.id],
        epoch: a.epochsDone,
        dir,
        scale: 1,
        formats: ['png', 'svg'],
        background: 'light',
      });
      expect(existsSync(path.join(dir, 'report.html'))).toBe(true);
      expect(existsSync(path.join(dir, b.id, 'manifold.png'))).toBe(true);
      w.unmount();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

suite('About', () => {
  it('keeps its test ids', async () => {
    const w = await mountAt('/about');
    for (const id of [
      'about',
      'about-version',
      'about-data-dir',
      'about-platform',
      'about-shell',
      'backend-wasm',
    ]) {
      expect(w.find(`[data-testid="${id}"]`).exists(), id).toBe(true);
    }
    w.unmount();
  });

  it('shows the database size and sets the retention new runs take', async () => {
    const w = await mountAt('/about');
    await flushPromises();
    expect(w.find('[data-testid="about-storage"]').text()).toMatch(/^\d+(\.\d)? [KMG]?B on disk \(runs /);
    const select = w.find('[data-testid="about-retention"]');
    expect((select.element as HTMLSelectElement).value).toBe('all');
    await select.setValue('5');
    await flushPromises();
    expect(api.callsOf('runs:retention').at(-1)).toEqual({ keepCheckpoints: 5 });
    const now = await api.call['runs:retention']({});
    expect(now.ok && now.value.keepCheckpoints).toBe(5);
    w.unmount();
  });
});
