import { onBeforeUnmount, onMounted } from 'vue';
import { shortcutFor, type ShortcutAction } from '../lib/shortcuts';

/** Listens for the app's keyboard shortcuts while the component lives. */
export function useShortcuts(handle: (action: ShortcutAction, event: KeyboardEvent) => void) {
  function onKey(event: KeyboardEvent): void {
    const action = shortcutFor({
      key: event.key,
      ctrlKey: event.ctrlKey,
      metaKey: event.metaKey,
      altKey: event.altKey,
      target: event.target instanceof HTMLElement ? event.target : null,
    });
    if (action) handle(action, event);
  }
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
