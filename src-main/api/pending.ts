import { AppError } from '../core/app-error';
import type { HandlerTable } from '../core/dispatcher';

const notYet = () => {
  throw new AppError('unavailable', 'Training and the run store are not part of this build yet.');
};

/** Commands of the contract whose services have not landed yet. */
export function pendingHandlers(): Omit<HandlerTable, 'app:info'> {
  return {
    'datasets:list': notYet,
    'datasets:import': notYet,
    'runs:start': notYet,
    'runs:stop': notYet,
    'runs:resume': notYet,
    'runs:list': notYet,
    'runs:get': notYet,
    'runs:snapshot': notYet,
    'runs:decode': notYet,
    'runs:update': notYet,
    'runs:delete': notYet,
    'runs:compare': notYet,
    'runs:export': notYet,
  };
}
