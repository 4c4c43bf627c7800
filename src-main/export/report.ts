import { isAbsolute, resolve } from 'node:path';
import type { Snapshot } from '../../shared/run';
import { StoreError, type NamedArray, type RunStore } from '../store';
import { modelSpecFor, planModel, type ModelPlan } from '../training/model-spec';
import { batchesCsv, latentCsv, metricsCsv } from './csv';
import { encodePng, scaleNearest, tileImages } from './images';
import { writeReportFolder } from './report-folder';
import { decoderModelFiles, encoderModelFiles, weightsFileName, type ModelFiles } from './tfjs-model';

/** Arguments of {@link exportReport}. */
export interface ExportReportArgs {
  store: RunStore;
  runId: string;
  /** The report folder, absolute; created when missing. */
  dir: string;
  /**
   * Write into a folder that is not empty, replacing report files of the same
   * names; without it such a folder is refused. Links are refused either way.
   */
  overwrite?: boolean;
  /** The epoch of the figures and the model; the latest snapshot when omitted. */
  epoch?: number;
  /** Nearest-neighbour upscaling of the PNG figures; 2 by default. */
  scale?: number;
}

/** What {@link exportReport} wrote. */
export interface ExportReportResult {
  /** The folder, absolute. */
  dir: string;
  /** Files written, relative to `dir`, in writing order. */
  files: string[];
  /** The epoch exported. */
  epoch: number;
  /** Parts left out and why (e.g. no encoder weights for an older epoch). */
  skipped: string[];
}

/** Images per row of the prior-samples figure. */
const priorColumns = 10;
/** Pixels between tiles of the gallery and prior figures, before scaling. */
const tileGap = 2;

function gallery(s: Snapshot) {
  const { height, width, channels } = s.imageShape;
  const g = s.galleryIndices.length;
  // Rows as in the reference figure: originals, generator(z_mu), output through a sampled z.
  const images = new Uint8Array(3 * g * height * width * channels);
  images.set(s.gallery.original, 0);
  images.set(s.gallery.mean, s.gallery.original.length);
  images.set(s.gallery.sampled, 2 * s.gallery.original.length);
  return tileImages({
    images,
    count: 3 * g,
    tileHeight: height,
    tileWidth: width,
    channels: channels as 1 | 3,
    columns: g,
    gap: tileGap,
  });
}

function manifold(s: Snapshot) {
  const { height, width, channels } = s.imageShape;
  // No gap: the manifold reads as one continuous picture of the latent space.
  return tileImages({
    images: s.manifold.images,
    count: s.manifold.n * s.manifold.n,
    tileHeight: height,
    tileWidth: width,
    channels: channels as 1 | 3,
    columns: s.manifold.n,
  });
}

function prior(s: Snapshot) {
  const { height, width, channels } = s.imageShape;
  return tileImages({
    images: s.prior.images,
    count: s.prior.count,
    tileHeight: height,
    tileWidth: width,
    channels: channels as 1 | 3,
    columns: Math.min(priorColumns, Math.max(1, s.prior.count)),
    gap: tileGap,
  });
}

/**
 * Writes a run's report folder: `gallery.png` (3 rows: originals,
 * generator(z_mu), sampled), `manifold.png`, `prior.png`, `metrics.csv`,
 * `batches.csv`, `latent.csv`, `hyperparams.json` (with run metadata), and
 * the model in TensorFlow.js layers format under `model/decoder/` (and
 * `model/encoder/` when the run's checkpoint is of that epoch).
 *
 * The folder is written all or nothing and never through a symbolic link
 * (see {@link writeReportFolder}). Fails with `not_found` for an unknown run
 * or epoch, `conflict` for a folder that is not empty without `overwrite`,
 * `invalid_input` for a link or a file in the way, and `io_error` naming the
 * folder when it cannot be written.
 */
export async function exportReport(args: ExportReportArgs): Promise<ExportReportResult> {
  const { store, runId } = args;
  if (!isAbsolute(args.dir) || args.dir.includes('\0')) {
    throw new StoreError(
      'invalid_input',
      `The report folder must be an absolute path without NUL characters, not "${args.dir.replace(/\0/g, '\\0')}".`,
    );
  }
  const dir = resolve(args.dir);
  const scale = args.scale ?? 2;
  const run = store.getRun(runId);
  const snapshot = store.getSnapshot(runId, args.epoch);
  const epoch = snapshot.epoch;
  const skipped: string[] = [];

  // Everything that can fail on input (unknown run or epoch) fails before the folder is touched.
  const files = await writeReportFolder({ dir, overwrite: args.overwrite ?? false }, async (write) => {
    await write('gallery.png', await encodePng(scaleNearest(gallery(snapshot), scale)));
    await write('manifold.png', await encodePng(scaleNearest(manifold(snapshot), scale)));
    await write('prior.png', await encodePng(scaleNearest(prior(snapshot), scale)));
    await write('metrics.csv', metricsCsv(run.epochs));
    await write('batches.csv', batchesCsv(store.getBatchMetrics(runId)));
    let labelNames: string[] | undefined;
    try {
      labelNames = store.getDataset(run.hyperparams.dataset).labels;
    } catch (error) {
      // The bundled MNIST has no dataset row; its labels are the digits themselves.
      if (!(error instanceof StoreError && error.code === 'not_found')) throw error;
    }
    await write('latent.csv', latentCsv({ ...snapshot.latent, labelNames }));

    const model = await modelFiles({ store, runId, epoch, snapshot, run, skipped });
    const modelEntries: Record<string, string> = {};
    for (const [part, content] of Object.entries(model)) {
      await write(`model/${part}/model.json`, content.modelJson);
      await write(`model/${part}/${weightsFileName}`, content.weights);
      modelEntries[part] = `model/${part}/model.json`;
    }

    await write(
      'hyperparams.json',
      JSON.stringify(
        {
          run: store.getRunSummary(runId),
          hyperparams: run.hyperparams,
          exportedEpoch: epoch,
          exportedAt: new Date().toISOString(),
          metricsAtEpoch: run.epochs.find((e) => e.epoch === epoch) ?? null,
          imageShape: snapshot.imageShape,
          model: {
            format: 'TensorFlow.js layers model (tf.loadLayersModel)',
            ...modelEntries,
            decoderInput: `[batch, ${snapshot.latent.latentDim}] latent points`,
            decoderOutput: `[batch, ${snapshot.imageShape.height * snapshot.imageShape.width * snapshot.imageShape.channels}] pixel probabilities in [0, 1], row-major height × width × channels`,
            encoderOutputs: '[z_mu, z_log_var], each [batch, latentDim]; input: flat pixels in [0, 1]',
          },
          skipped,
        },
        null,
        2,
      ) + '\n',
    );
  });
  return { dir, files, epoch, skipped };
}

/** Builds the model files that the stored weights allow at `epoch`. */
async function modelFiles(args: {
  store: RunStore;
  runId: string;
  epoch: number;
  snapshot: Snapshot;
  run: { hyperparams: Parameters<typeof modelSpecFor>[0] };
  skipped: string[];
}): Promise<Partial<Record<'decoder' | 'encoder', ModelFiles>>> {
  const { store, runId, epoch, skipped } = args;
  let plan: ModelPlan;
  try {
    plan = planModel(modelSpecFor(args.run.hyperparams, args.snapshot.imageShape));
  } catch (error) {
    skipped.push(`model: ${(error as Error).message}`);
    return {};
  }
  const checkpoint = store.getCheckpoint(runId);
  const checkpointWeights = checkpoint?.epoch === epoch ? checkpoint.weights : null;
  let decoderWeights: NamedArray[] | null = checkpointWeights;
  try {
    decoderWeights = store.getDecoderWeights(runId, epoch).weights;
  } catch (error) {
    if (!(error instanceof StoreError && error.code === 'not_found')) throw error;
  }
  const out: Partial<Record<'decoder' | 'encoder', ModelFiles>> = {};
  const attempt = async (part: 'decoder' | 'encoder', weights: NamedArray[] | null) => {
    if (!weights) {
      skipped.push(
        part === 'decoder'
          ? `model/decoder: no decoder weights are stored for epoch ${epoch}.`
          : `model/encoder: only the latest checkpoint holds encoder weights (epoch ${checkpoint?.epoch ?? 'none'}), not epoch ${epoch}.`,
      );
      return;
    }
    try {
      out[part] = await (part === 'decoder' ? decoderModelFiles : encoderModelFiles)({ plan, weights });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      skipped.push(`model/${part}: ${error.message}`);
    }
  };
  await attempt('decoder', decoderWeights);
  await attempt('encoder', checkpointWeights);
  return out;
}
