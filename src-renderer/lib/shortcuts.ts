/** What a key press asks for, app-wide. */
export type ShortcutAction =
  { kind: 'navigate'; to: string } | { kind: 'stop' } | { kind: 'help' } | { kind: 'close' };

/** The shortcuts as shown in the help panel. */
export const shortcutList: readonly { keys: string; what: string }[] = [
  { keys: 'N', what: 'New run' },
  { keys: '1 – 4', what: 'New run, Runs, Compare, About' },
  { keys: 'L', what: 'Latest run' },
  { keys: 'S', what: 'Stop the run on screen' },
  { keys: '?', what: 'Show these shortcuts' },
  { keys: 'Esc', what: 'Close a dialog' },
];

/** The part of a KeyboardEvent the mapping reads. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The focused element, if any: typing in a field is never a shortcut. */
  target: { tagName?: string; isContentEditable?: boolean } | null;
}

const typingTags = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** Maps a key press to an action; null when it is not a shortcut (or the user is typing). */
export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (event.key === 'Escape') return { kind: 'close' };
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const target = event.target;
  if (target && (typingTags.has(target.tagName ?? '') || target.isContentEditable)) return null;
  switch (event.key) {
    case 'n':
    case 'N':
    case '1':
      return { kind: 'navigate', to: '/new' };
    case '2':
      return { kind: 'navigate', to: '/runs' };
    case '3':
      return { kind: 'navigate', to: '/compare' };
    case '4':
      return { kind: 'navigate', to: '/about' };
    case '5':
      return { kind: 'navigate', to: '/sweeps' };
    case 'l':
    case 'L':
      return { kind: 'navigate', to: '/runs/latest' };
    case 's':
    case 'S':
      return { kind: 'stop' };
    case '?':
      return { kind: 'help' };
    default:
      return null;
  }
}
