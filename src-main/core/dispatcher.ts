import { isCommandName, type CommandArg, type CommandName, type CommandResult } from '../../shared/contract';
import { err, ok, type Result } from '../../shared/result';
import { commandArgSchemas, describeIssues } from '../../shared/schemas';
import { hasErrorCode } from './app-error';

/** A handler receives an argument its schema has already validated. */
export type Handler<K extends CommandName> = (
  arg: CommandArg<K>,
) => Promise<CommandResult<K>> | CommandResult<K>;

/** One handler per command: a missing one is a compile error. */
export type HandlerTable = { [K in CommandName]: Handler<K> };

/** Every transport calls this with whatever arrived; it never throws. */
export type Dispatch = (command: unknown, arg: unknown) => Promise<Result<unknown>>;

export interface DispatcherOptions {
  handlers: HandlerTable;
  /** Where unexpected errors go (main-process log); users see only a sentence. */
  logError?: (message: string, error: unknown) => void;
}

/**
 * Validates the command name and its argument, runs the handler and turns
 * every outcome into a Result: expected failures keep their code, anything
 * else becomes `internal` with details logged here and not sent to the client.
 */
export function createDispatcher({ handlers, logError = console.error }: DispatcherOptions): Dispatch {
  return async (command, arg) => {
    if (!isCommandName(command)) {
      const shown = typeof command === 'string' ? `"${command.slice(0, 80)}"` : 'without a name';
      return err('unknown_command', `There is no command ${shown}.`);
    }
    const parsed = commandArgSchemas[command].safeParse(arg);
    if (!parsed.success) {
      return err('invalid_argument', `${command}: ${describeIssues(parsed.error)}`);
    }
    try {
      const handler = handlers[command] as Handler<CommandName>;
      return ok(await handler(parsed.data));
    } catch (error) {
      if (hasErrorCode(error)) return err(error.code, error.message);
      logError(`[api] ${command} failed unexpectedly`, error);
      return err('internal', `${command} failed unexpectedly; the details are in the VAE Studio log.`);
    }
  };
}
