import type { CommandArg, CommandName, EventName, Unsubscribe, VaeApi } from '../../shared/contract';
import type { Result } from '../../shared/result';

// A view asks for its data once the app's scripts have loaded and mounted it. Asked by the
// page's first script instead, the answer travels while those scripts load.

/** A question asked before anyone needs its answer, and the events after which the answer is stale. */
export interface EarlyQuestion<K extends CommandName = CommandName> {
  command: K;
  arg: CommandArg<K>;
  staleOn: readonly EventName[];
}

/** A {@link VaeApi} that can ask before anyone needs the answer. */
export interface PrefetchingApi extends VaeApi {
  /**
   * Asks `question` now, or takes its `answer` when it was asked another way. The next call
   * of its command takes the answer when it asks with an equal argument and none of the
   * `staleOn` events came meanwhile; any other call of that command drops it and asks afresh.
   * An answer is given once.
   */
  prefetch(question: EarlyQuestion, answer?: Promise<Result<unknown>>): void;
}

interface Early {
  key: string;
  answer: Promise<Result<unknown>>;
  stale: boolean;
  stopWatching: Unsubscribe[];
}

type AnyCall = (arg: unknown) => Promise<Result<unknown>>;

export function withPrefetch<A extends VaeApi>(api: A): A & PrefetchingApi {
  const waiting = new Map<CommandName, Early>();
  const direct = api.call as unknown as Record<CommandName, AnyCall>;

  function take(command: CommandName): Early | undefined {
    const early = waiting.get(command);
    waiting.delete(command);
    for (const stop of early?.stopWatching ?? []) stop();
    return early;
  }

  const call = {} as Record<CommandName, AnyCall>;
  for (const command of Object.keys(direct) as CommandName[]) {
    call[command] = (arg) => {
      const early = take(command);
      if (early && !early.stale && early.key === canonical(arg)) return early.answer;
      return direct[command](arg);
    };
  }

  return {
    ...api,
    call: call as unknown as VaeApi['call'],
    prefetch({ command, arg, staleOn }, answer) {
      take(command);
      const early: Early = {
        key: canonical(arg),
        answer: answer ?? direct[command](arg),
        stale: false,
        stopWatching: [],
      };
      early.stopWatching = staleOn.map((event) => api.on(event, () => (early.stale = true)));
      waiting.set(command, early);
    },
  };
}

/** JSON with every object's keys in order: `{ a, b }` and `{ b, a }` ask the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
