import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VaeApi } from '../../../shared/contract';
import { err, ok } from '../../../shared/result';
import type { Snapshot } from '../../../shared/run';
import { withSnapshotsOffThread } from '../../../src-renderer/api/client';
import type { SnapshotAnswer, SnapshotRequest } from '../../../src-renderer/api/snapshot-worker';

const url = 'ws://127.0.0.1:6150/api?token=t';
const fromPage = { epoch: 1 } as Snapshot;
const fromWorker = { epoch: 2 } as Snapshot;

/** An API whose own connection answers every snapshot with epoch 1. */
function pageApi() {
  const snapshot = vi.fn(() => Promise.resolve(ok(fromPage)));
  const other = vi.fn(() => Promise.resolve(ok({ images: new Uint8Array(1) })));
  const api = { call: { 'runs:snapshot': snapshot, 'runs:decode': other }, on: () => () => {} };
  return { api: api as unknown as VaeApi, snapshot, other };
}

/** A worker that answers with `answer(request)` after a moment. */
function fakeWorker(answer: (request: SnapshotRequest) => SnapshotAnswer['result'], seen: SnapshotRequest[]) {
  return class {
    onmessage: ((event: { data: SnapshotAnswer }) => void) | null = null;
    onerror: ((event: { preventDefault(): void }) => void) | null = null;
    postMessage(request: SnapshotRequest) {
      seen.push(request);
      setTimeout(() => this.onmessage?.({ data: { id: request.id, result: answer(request) } }), 0);
    }
    terminate() {}
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('snapshots off the page’s thread', () => {
  it('asks over the page’s connection where there is no worker', async () => {
    const { api, snapshot } = pageApi();
    const wrapped = withSnapshotsOffThread(api, url);
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 1 })).toEqual(ok(fromPage));
    expect(snapshot).toHaveBeenCalledTimes(1);
  });

  it('takes the worker’s answer, errors included, and leaves other commands alone', async () => {
    const seen: SnapshotRequest[] = [];
    vi.stubGlobal(
      'Worker',
      fakeWorker((r) => (r.arg.epoch === 9 ? err('not_found', 'No epoch 9.') : ok(fromWorker)), seen),
    );
    const { api, snapshot, other } = pageApi();
    const wrapped = withSnapshotsOffThread(api, url);
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 2 })).toEqual(ok(fromWorker));
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 9 })).toEqual(
      err('not_found', 'No epoch 9.'),
    );
    expect(seen).toEqual([
      { id: 1, url, arg: { runId: 'r', epoch: 2 } },
      { id: 2, url, arg: { runId: 'r', epoch: 9 } },
    ]);
    expect(snapshot).not.toHaveBeenCalled();
    await wrapped.call['runs:decode']({ runId: 'r', points: [[0, 0]] });
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('asks over the page’s connection when the worker has none', async () => {
    vi.stubGlobal(
      'Worker',
      fakeWorker(() => null, []),
    );
    const { api, snapshot } = pageApi();
    const wrapped = withSnapshotsOffThread(api, url);
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 1 })).toEqual(ok(fromPage));
    expect(snapshot).toHaveBeenCalledTimes(1);
  });

  it('asks over the page’s connection when the worker cannot start', async () => {
    class BrokenWorker {
      onmessage: ((event: { data: SnapshotAnswer }) => void) | null = null;
      onerror: ((event: { preventDefault(): void }) => void) | null = null;
      constructor() {
        setTimeout(() => this.onerror?.({ preventDefault() {} }), 0);
      }
      postMessage() {}
      terminate() {}
    }
    vi.stubGlobal('Worker', BrokenWorker);
    const { api, snapshot } = pageApi();
    const wrapped = withSnapshotsOffThread(api, url);
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 1 })).toEqual(ok(fromPage));
    expect(await wrapped.call['runs:snapshot']({ runId: 'r', epoch: 1 })).toEqual(ok(fromPage));
    expect(snapshot).toHaveBeenCalledTimes(2);
  });
});
