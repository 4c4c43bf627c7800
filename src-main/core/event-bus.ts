import type { EventName, EventPayload, Unsubscribe } from '../../shared/contract';

type AnyListener = (event: EventName, payload: unknown) => void;

/**
 * Fan-out of contract events from the services to every transport. Transports
 * subscribe to all events (`onAny`) and forward them; services `emit` typed payloads.
 */
export class EventBus {
  private readonly listeners = new Set<AnyListener>();

  emit<K extends EventName>(event: K, payload: EventPayload<K>): void {
    for (const listener of this.listeners) {
      // One broken subscriber (a closed socket, a destroyed window) must not starve the others.
      try {
        listener(event, payload);
      } catch (error) {
        console.error(`[events] a listener of ${event} failed:`, error);
      }
    }
  }

  onAny(listener: AnyListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
