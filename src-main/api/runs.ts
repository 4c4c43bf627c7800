import type { DecodeService } from '../core/decode-service';
import type { HandlerTable } from '../core/dispatcher';
import type { RunService } from '../core/run-service';
import { exportReport } from '../export';
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
  | 'runs:compare'
  | 'runs:export';

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
    'runs:compare': ({ runIds }) => store.compareRuns(runIds),
    'runs:export': async ({ runId, dir, epoch, overwrite }) => {
      const report = await exportReport({
        store,
        runId,
        dir,
        overwrite,
        ...(epoch !== undefined ? { epoch } : {}),
      });
      return { dir: report.dir, files: report.files };
    },
  };
}
