import type { CommandArg, CommandName, CommandResult, VaeApi } from '../../shared/contract';
import { err, type Result } from '../../shared/result';
import { describeError } from '../api/errors';

/** Calls a command on the client, or fails readably when there is no connection yet. */
export function callApi<K extends CommandName>(
  api: VaeApi | null,
  name: K,
  arg: CommandArg<K>,
): Promise<Result<CommandResult<K>>> {
  if (!api) return Promise.resolve(err('unavailable', 'Not connected to VAE Studio yet.'));
  // The call table is indexed by a generic key; TypeScript cannot narrow the union of functions itself.
  const fn = api.call[name] as (arg: CommandArg<K>) => Promise<Result<CommandResult<K>>>;
  return fn(arg).catch((error: unknown) =>
    err('internal', error instanceof Error && error.message ? error.message : 'The request failed.'),
  );
}

/** The value of a result, or null after handing its readable message to `onError`. */
export function valueOr<T>(result: Result<T>, onError: (message: string) => void): T | null {
  if (result.ok) return result.value;
  onError(describeError(result.error));
  return null;
}
