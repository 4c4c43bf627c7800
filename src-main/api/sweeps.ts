import type { HandlerTable } from '../core/dispatcher';
import type { SweepService } from '../core/sweep-service';

type SweepCommands =
  | 'sweeps:start'
  | 'sweeps:list'
  | 'sweeps:get'
  | 'sweeps:stop'
  | 'sweeps:resume'
  | 'sweeps:skip'
  | 'sweeps:move';

/** `sweeps:*` commands, all through the sweep service. */
export function sweepHandlers({ sweeps }: { sweeps: SweepService }): Pick<HandlerTable, SweepCommands> {
  return {
    'sweeps:start': (arg) => sweeps.start(arg),
    'sweeps:list': () => sweeps.list(),
    'sweeps:get': ({ sweepId }) => sweeps.get(sweepId),
    'sweeps:stop': ({ sweepId }) => sweeps.stop(sweepId),
    'sweeps:resume': ({ sweepId }) => sweeps.resume(sweepId),
    'sweeps:skip': ({ sweepId, jobId }) => sweeps.skip(sweepId, jobId),
    'sweeps:move': ({ sweepId, jobId, position }) => sweeps.move(sweepId, jobId, position),
  };
}
