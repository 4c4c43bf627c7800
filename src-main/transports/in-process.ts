import { buildCalls, ListenerMap } from '../../shared/api-client';
import type { VaeApi } from '../../shared/contract';
import type { Result } from '../../shared/result';
import { decodeWire, encodeWire } from '../../shared/wire';
import type { Core } from '../core/core';

/**
 * A {@link VaeApi} that calls the core directly, for tests and the CLI.
 * Arguments and results still go through the wire encoding, so whatever
 * would not survive a real transport fails here too.
 */
export function createInProcessApi(core: Core): VaeApi & { close(): void } {
  const listeners = new ListenerMap();
  const unsubscribe = core.events.onAny((event, payload) => {
    listeners.emit(event, decodeWire(encodeWire(payload)));
  });
  return {
    call: buildCalls(async (command, arg) => {
      const result = await core.dispatch(command, decodeWire(encodeWire(arg ?? null)));
      return decodeWire(encodeWire(result)) as Result<unknown>;
    }),
    on: (event, listener) => listeners.on(event, listener),
    close: unsubscribe,
  };
}
