import { describe, expect, it } from 'vitest';
import { buildCalls, ListenerMap } from '../../../shared/api-client';
import type { CommandName, EventName, VaeApi } from '../../../shared/contract';
import { ok, type Result } from '../../../shared/result';
import type { RunSummary } from '../../../shared/run';
import { withPrefetch } from '../../../src-renderer/api/prefetch';
import {
  defaultRunsQuery,
  firstPageSize,
  runsListChanges,
  runsPage,
} from '../../../src-renderer/lib/runs-query';

/** An API that answers every call with how many calls it has had, and can push events. */
function countingApi() {
  const asked: { command: CommandName; arg: unknown }[] = [];
  const listeners = new ListenerMap();
  let watching = 0;
  const api: VaeApi = {
    call: buildCalls((command, arg) => {
      asked.push({ command, arg });
      return Promise.resolve(ok(asked.length) as Result<unknown>);
    }),
    on: (event, listener) => {
      watching++;
      const stop = listeners.on(event, listener);
      return () => {
        watching--;
        stop();
      };
    },
  };
  return {
    api,
    asked,
    emit: (event: EventName, payload: unknown) => listeners.emit(event, payload),
    watching: () => watching,
  };
}

const firstPage = runsPage(defaultRunsQuery(), firstPageSize);
const question = { command: 'runs:list', arg: firstPage, staleOn: runsListChanges } as const;
// The store's argument, its keys in another order: the same question.
const sameAsked = { limit: 100, descending: true, sort: 'createdAt' } as const;

describe('answers asked for before the app needs them', () => {
  it('gives the early answer to the first call that asks the same, once, and stops watching', async () => {
    const t = countingApi();
    const api = withPrefetch(t.api);
    api.prefetch(question);
    expect(t.asked).toEqual([{ command: 'runs:list', arg: firstPage }]);
    expect(t.watching()).toBe(2);
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok(1));
    expect(t.asked).toHaveLength(1);
    expect(t.watching()).toBe(0);
    // Given once: the next call asks the core.
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok(2));
  });

  it('takes an answer asked for another way (in the socket’s URL) without asking again', async () => {
    const t = countingApi();
    const api = withPrefetch(t.api);
    api.prefetch(question, Promise.resolve(ok('from the URL')));
    expect(t.asked).toEqual([]);
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok('from the URL'));
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok(1));
  });

  it('drops the early answer when the first call asks something else', async () => {
    const t = countingApi();
    const api = withPrefetch(t.api);
    api.prefetch(question);
    expect(await api.call['runs:list']({ ...sameAsked, text: 'beta' })).toEqual(ok(2));
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok(3));
    expect(t.watching()).toBe(0);
  });

  it('asks again when the list may have changed since (a run changed status, or an epoch ended)', async () => {
    for (const event of runsListChanges) {
      const t = countingApi();
      const api = withPrefetch(t.api);
      api.prefetch(question);
      t.emit(event, { run: {} as RunSummary });
      expect(await api.call['runs:list'](sameAsked)).toEqual(ok(2));
      expect(t.asked.map((a) => a.command)).toEqual(['runs:list', 'runs:list']);
    }
  });

  it('leaves other commands and unrelated events alone', async () => {
    const t = countingApi();
    const api = withPrefetch(t.api);
    api.prefetch(question);
    t.emit('run:progress', {});
    expect(await api.call['datasets:list']({})).toEqual(ok(2));
    expect(await api.call['runs:list'](sameAsked)).toEqual(ok(1));
  });
});

describe('the runs list’s question', () => {
  it('is the first page of every run, newest first, with only the filters set', () => {
    expect(firstPage).toEqual({ sort: 'createdAt', descending: true, limit: 100 });
    expect(
      runsPage(
        { text: '  beta ', status: 'failed', dataset: 'mnist', sort: 'name', descending: false },
        1000,
        100,
      ),
    ).toEqual({
      sort: 'name',
      descending: false,
      text: 'beta',
      status: ['failed'],
      dataset: 'mnist',
      limit: 1000,
      offset: 100,
    });
  });
});
