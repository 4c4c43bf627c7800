import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '../core/event-bus';
import type { HandlerTable } from '../core/dispatcher';
import { AppError } from '../core/app-error';
import type { DatasetImportArg, DatasetInfo } from '../../shared/contract';
import {
  assertNameFree,
  importFolder,
  importIdx,
  listDatasets,
  loadDataset,
  setClassNames,
} from '../datasets';
import { DatasetError } from '../datasets/errors';
import { discardUpload, MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, uploadDir } from '../datasets/uploads';
import { unpackZip, uploadedZip } from '../datasets/unzip';
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
}): Pick<
  HandlerTable,
  'datasets:list' | 'datasets:images' | 'datasets:import' | 'datasets:importUpload' | 'datasets:setClassNames'
> {
  // Hovering asks for one image at a time: keep the last dataset loaded rather than reading it per call.
  let recent: LoadedDataset | null = null;
  async function runImport(arg: DatasetImportArg): Promise<DatasetInfo> {
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
  }
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
    'datasets:import': runImport,
    'datasets:importUpload': async (arg) => {
      const dir = uploadDir(dataDir, arg.uploadId);
      try {
        if (!(await stat(dir).catch(() => null))?.isDirectory()) {
          throw new DatasetError(
            'not_found',
            'Nothing was uploaded for this import; choose the files again.',
          );
        }
        // A name that can never be used is said before a large zip is unpacked for nothing
        // (the import checks it again, as for a path on the server).
        await assertNameFree(dataDir, arg.name);
        // One .zip is the dataset packed: unpacked beside it, with its own checks first.
        const zipName = await uploadedZip(dir);
        const root = zipName
          ? await unpackZip({
              zipPath: join(dir, zipName),
              zipName,
              into: join(dir, 'unpacked'),
              kind: arg.kind,
              limits: { maxBytes: MAX_UPLOAD_BYTES, maxEntries: MAX_UPLOAD_FILES },
            })
          : dir;
        // The same import, and so the same checks, as for a folder on the server's disk.
        try {
          return await runImport(
            arg.kind === 'idx'
              ? {
                  kind: 'idx',
                  name: arg.name,
                  paths: [root],
                  ...(arg.classNames ? { classNames: arg.classNames } : {}),
                }
              : {
                  kind: 'folder',
                  name: arg.name,
                  path: root,
                  size: arg.size,
                  channels: arg.channels,
                  ...(arg.classNames ? { classNames: arg.classNames } : {}),
                },
          );
        } catch (error) {
          // The user knows the files they sent, not the server's folder they were put in.
          if (!(error instanceof DatasetError) || !error.message.includes(root)) throw error;
          const message = error.message.replaceAll(root, zipName ?? 'the uploaded folder');
          // A sentence that began with the folder begins with a capital (a zip keeps its own name).
          const sentence = zipName ? message : message.charAt(0).toUpperCase() + message.slice(1);
          throw new DatasetError(error.code, sentence, { cause: error });
        }
      } finally {
        await discardUpload(dataDir, arg.uploadId).catch(() => undefined);
      }
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
