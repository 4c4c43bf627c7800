import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { AppInfo, Notice, RetentionInfo, VaeApi } from '../../shared/contract';
import { describeError } from '../api/errors';

/** The user's theme choice; `system` follows the operating system. */
export type ThemePreference = 'system' | 'light' | 'dark';

const themeKey = 'vae-studio-theme';

function storedTheme(): ThemePreference {
  try {
    const value = globalThis.localStorage?.getItem(themeKey);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** The connection, what the core says about itself, notices for the user, and the theme. */
export const useAppStore = defineStore('app', () => {
  /** The API client; set once at start-up (a fake in tests). Every other store reads it from here. */
  const api = shallowRef<VaeApi | null>(null);
  /** Why there is no connection, in words for the user. */
  const connectionError = ref<string | null>(null);
  const info = ref<AppInfo | null>(null);
  const infoError = ref<string | null>(null);
  const notices = ref<Notice[]>([]);
  /** Light, dark, or following the system (the default). */
  const theme = ref<ThemePreference>(storedTheme());
  /** The database's size and the retention new runs take (`runs:retention`); null until loaded. */
  const retention = ref<RetentionInfo | null>(null);
  const retentionError = ref<string | null>(null);
  /** Whether the shortcut help panel is open. */
  const showShortcuts = ref(false);

  watch(
    theme,
    (value) => {
      const root = globalThis.document?.documentElement;
      if (!root) return;
      if (value === 'system') delete root.dataset.theme;
      else root.dataset.theme = value;
      try {
        globalThis.localStorage?.setItem(themeKey, value);
      } catch {
        // Storage may be off (private windows); the choice then lasts for this page only.
      }
    },
    { immediate: true },
  );

  /** Attaches the client and starts listening for notices. */
  function attach(client: VaeApi): void {
    api.value = client;
    client.on('app:notice', (notice) => notices.value.push(notice));
  }

  /** Loads `app:info`; failures become a readable message. */
  async function loadInfo(): Promise<void> {
    if (!api.value) return;
    const result = await api.value.call['app:info']({});
    if (result.ok) {
      info.value = result.value;
      infoError.value = null;
      // Start-up notices (e.g. a database moved aside) happened before this page listened for events.
      for (const notice of result.value.notices ?? []) {
        if (!notices.value.some((n) => n.message === notice.message)) notices.value.push(notice);
      }
    } else {
      infoError.value = describeError(result.error);
    }
  }

  /** Loads the database's size, or sets the retention new runs take (a count of epochs, null for all) and reloads it. */
  async function loadRetention(keepCheckpoints?: number | null): Promise<void> {
    if (!api.value) return;
    const result = await api.value.call['runs:retention'](
      keepCheckpoints === undefined ? {} : { keepCheckpoints },
    );
    if (result.ok) {
      retention.value = result.value;
      retentionError.value = null;
    } else {
      retentionError.value = describeError(result.error);
    }
  }

  /** Loads `app:info` once; later calls reuse it. */
  async function ensureInfo(): Promise<void> {
    if (!info.value) await loadInfo();
  }

  function dismissNotice(index: number): void {
    notices.value.splice(index, 1);
  }

  return {
    api,
    connectionError,
    info,
    infoError,
    notices,
    theme,
    showShortcuts,
    attach,
    loadInfo,
    ensureInfo,
    retention,
    retentionError,
    loadRetention,
    dismissNotice,
  };
});
