import type { DecodeService } from '../core/decode-service';
import type { HandlerTable } from '../core/dispatcher';
import type { RunService } from '../core/run-service';
import { exportCompareReport, exportReport } from '../export';
import type { RunStore } from '../store';

type RunCommands =
  | 'runs:start'
  | 'runs:stop'
  | 'runs:resume'
  | 'runs:list'
  | 'runs:get'
  | 'runs:snapshot'
  | 'runs:decode'
  | 'runs:update'
  | 'runs:delete'
  | 'runs:prune'
  | 'runs:retention'
  | 'runs:compare'
  | 'runs:export'
  | 'runs:exportCompare';

/** `runs:*` commands: lifecycle through the run service, decoding in a worker, reads straight from the store. */
export function runHandlers({
  runs,
  decoder,
  store,
}: {
  runs: RunService;
  decoder: DecodeService;
  store: RunStore;
}): Pick<HandlerTable, RunCommands> {
  return {
    'runs:start': (arg) => runs.start(arg),
    'runs:stop': ({ runId }) => runs.stop(runId),
    'runs:resume': ({ runId }) => runs.resume(runId),
    'runs:list': (arg) => store.listRuns(arg),
    'runs:get': ({ runId }) => store.getRun(runId),
    'runs:snapshot': ({ runId, epoch }) => store.getSnapshot(runId, epoch),
    'runs:decode': (arg) => decoder.decode(arg),
    'runs:update': (arg) => store.updateRun(arg),
    'runs:delete': ({ runId }) => {
      runs.delete(runId);
      return { deleted: true as const };
    },
    'runs:prune': ({ runId, keepCheckpoints }) => {
      const result = store.pruneRun({ runId, keepCheckpoints });
      return { ...result, run: store.getRunSummary(runId) };
    },
    'runs:retention': ({ keepCheckpoints }) => {
      if (keepCheckpoints !== undefined) store.setDefaultKeepCheckpoints(keepCheckpoints);
      return { keepCheckpoints: store.getDefaultKeepCheckpoints(), storage: store.storageUsage() };
    },
    'runs:compare': ({ runIds }) => store.compareRuns(runIds),
    'runs:export': async ({ runId, dir, epoch, overwrite, scale, formats, background }) => {
      const report = await exportReport({
        store,
        runId,
        dir,
        overwrite,
        ...(epoch !== undefined ? { epoch } : {}),
        ...(scale !== undefined ? { scale } : {}),
        ...(formats !== undefined ? { formats } : {}),
        ...(background !== undefined ? { background } : {}),
        decode: (points, at) => decoder.decode({ runId, epoch: at, points }),
      });
      return { dir: report.dir, files: report.files };
    },
    'runs:exportCompare': async ({ runIds, dir, epoch, overwrite, scale, formats, background }) => {
      const report = await exportCompareReport({
        store,
        runIds,
        dir,
        overwrite,
        ...(epoch !== undefined ? { epoch } : {}),
        ...(scale !== undefined ? { scale } : {}),
        ...(formats !== undefined ? { formats } : {}),
        ...(background !== undefined ? { background } : {}),
        decode: (runId, points, at) => decoder.decode({ runId, epoch: at, points }),
      });
      return { dir: report.dir, files: report.files, epoch: report.epoch };
    },
  };
}
