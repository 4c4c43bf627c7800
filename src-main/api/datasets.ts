import type { EventBus } from '../core/event-bus';
import type { HandlerTable } from '../core/dispatcher';
import { importFolder, importIdx, listDatasets } from '../datasets';
import type { RunStore } from '../store';

/** `datasets:*` commands. The dataset files are the source of truth; the store keeps a row per import for runs to refer to. */
export function datasetHandlers({
  dataDir,
  store,
  events,
}: {
  dataDir: string;
  store: RunStore;
  events: EventBus;
}): Pick<HandlerTable, 'datasets:list' | 'datasets:import'> {
  return {
    'datasets:list': () => listDatasets(dataDir),
    'datasets:import': async (arg) => {
      const result =
        arg.kind === 'idx'
          ? await importIdx({ dataDir, name: arg.name, paths: arg.paths })
          : await importFolder({
              dataDir,
              name: arg.name,
              path: arg.path,
              size: arg.size,
              channels: arg.channels,
              onProgress: (done, total) => events.emit('dataset:progress', { name: arg.name, done, total }),
            });
      if (result.skipped > 0) {
        const some = result.skippedFiles.slice(0, 3).join(', ');
        events.emit('app:notice', {
          level: 'warning',
          message: `Imported "${arg.name}" without ${result.skipped} unreadable file(s), e.g. ${some}.`,
        });
      }
      return store.upsertDataset(result.info);
    },
  };
}
