import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { AppInfo, Notice, VaeApi } from '../../shared/contract';
import { describeError } from '../api/errors';

/** The connection, what the core says about itself, and notices for the user. */
export const useAppStore = defineStore('app', () => {
  /** The API client; set once at start-up (a fake in tests). */
  const api = shallowRef<VaeApi | null>(null);
  /** Why there is no connection, in words for the user. */
  const connectionError = ref<string | null>(null);
  const info = ref<AppInfo | null>(null);
  const infoError = ref<string | null>(null);
  const notices = ref<Notice[]>([]);

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
    } else {
      infoError.value = describeError(result.error);
    }
  }

  function dismissNotice(index: number): void {
    notices.value.splice(index, 1);
  }

  return { api, connectionError, info, infoError, notices, attach, loadInfo, dismissNotice };
});
