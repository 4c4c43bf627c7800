import type { EventBus } from '../core/event-bus';
import type { HandlerTable } from '../core/dispatcher';
import { AppError } from '../core/app-error';
import { importFolder, importIdx, listDatasets, loadDataset, setClassNames } from '../datasets';
import type { LoadedDataset } from '../datasets/types';
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
}): Pick<HandlerTable, 'datasets:list' | 'datasets:images' | 'datasets:import' | 'datasets:setClassNames'> {
  // Hovering asks for one image at a time: keep the last dataset loaded rather than reading it per call.
  let recent: LoadedDataset | null = null;
  return {
    'datasets:list': () => listDatasets(dataDir),
    'datasets:images': async ({ name, split, indices }) => {
      if (recent?.info.name.toLowerCase() !== name.toLowerCase())
        recent = await loadDataset({ name, dataDir });
      const { info } = recent;
      const set = recent[split];
      const pixels = info.height * info.width * info.channels;
      const images = new Uint8Array(indices.length * pixels);
      const labels = new Uint8Array(indices.length);
      indices.forEach((index, i) => {
        if (index >= set.count) {
          throw new AppError(
            'invalid_argument',
            `Image ${index} does not exist: the ${split} set holds ${set.count} images.`,
          );
        }
        images.set(set.images.subarray(index * pixels, (index + 1) * pixels), i * pixels);
        labels[i] = set.labels[index] ?? 0;
      });
      return {
        images,
        labels,
        count: indices.length,
        height: info.height,
        width: info.width,
        channels: info.channels,
      };
    },
    'datasets:import': async (arg) => {
      const result =
        arg.kind === 'idx'
          ? await importIdx({ dataDir, name: arg.name, paths: arg.paths, classNames: arg.classNames })
          : await importFolder({
              dataDir,
              name: arg.name,
              path: arg.path,
              size: arg.size,
              channels: arg.channels,
              classNames: arg.classNames,
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
    'datasets:setClassNames': async ({ name, classNames }) => {
      const info = await setClassNames({ dataDir, name, classNames });
      // The cached set would otherwise keep serving the old names.
      if (recent?.info.name === name) recent = null;
      // Reports read the names from the store's row: keep it in step with meta.json.
      return store.upsertDataset(info);
    },
  };
}
