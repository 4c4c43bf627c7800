import { isAbsolute, resolve } from 'node:path';
import type { Snapshot } from '../../shared/run';
import { StoreError, type NamedArray, type RunStore } from '../store';
import { modelSpecFor, planModel, type ModelPlan } from '../training/model-spec';
import { batchesCsv, latentCsv, metricsCsv } from './csv';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  defaultFigureScale,
  figureBackgrounds,
  figureFormats,
  figureScales,
  type FigureBackground,
  type FigureFormat,
  type FigureOptions,
  type FigureSvg,
} from '../../shared/figures/svg';
import {
  gallerySvg,
  interpolationSvg,
  klSvg,
  lossSvg,
  manifoldSvg,
  priorSvg,
  scatterSvg,
  traversalSvg,
} from '../../shared/figures/figures';
import { linspace } from '../../shared/manifold';
import type { EpochMetrics } from '../../shared/run';
import { reportHtml, type HtmlFigure } from './report-html';
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
  /** Size of the figures: 1, 2 or 3 times their figure units (one unit per image pixel); 2 by default. */
  scale?: number;
  /** Which files of each figure to write; both by default. */
  formats?: FigureFormat[];
  /** The figures' background; light by default. */
  background?: FigureBackground;
  /**
   * Decodes latent points with the run's decoder at the exported epoch (the
   * runs:decode path); without it the interpolation and traversal are skipped.
   */
  decode?: (points: number[][], epoch: number) => Promise<{ images: Uint8Array; count: number }>;
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

/**
 * The figures of a snapshot, drawn by the same shared functions as the
 * screen's download buttons; each is written as `<name>.svg` and/or
 * `<name>.png` (the SVG rasterised by sharp at the chosen scale).
 */
export function reportFigures(args: {
  snapshot: Snapshot;
  epochs: EpochMetrics[];
  labelNames?: string[];
  options: FigureOptions;
}): ReportFigure[] {
  const { snapshot: s, options } = args;
  const shape = s.imageShape;
  return [
    {
      name: 'gallery',
      title: 'Gallery',
      caption: 'Test images (top), generator(z_mu) (middle) and the output through a sampled z (bottom).',
      figure: gallerySvg({ ...s.gallery, indices: s.galleryIndices, imageShape: shape }, options),
    },
    {
      name: 'manifold',
      title: 'Manifold',
      caption: `${s.manifold.n}×${s.manifold.n} images decoded over [−${s.manifold.range}, ${s.manifold.range}]² on z [${s.manifold.dims[0]}] and z [${s.manifold.dims[1]}], the other dimensions at 0.`,
      figure: manifoldSvg({ ...s.manifold, imageShape: shape }, options),
    },
    {
      name: 'latent',
      title: 'Latent space',
      caption: `z_mu of ${s.latent.count} test images, coloured by class.`,
      figure: scatterSvg(
        {
          points: s.latent.zMu,
          latentDim: s.latent.latentDim,
          count: s.latent.count,
          labels: s.latent.labels,
          ...(args.labelNames ? { labelNames: args.labelNames } : {}),
        },
        options,
      ),
    },
    {
      name: 'loss',
      title: 'Loss',
      caption: 'Training and test loss (reconstruction + β·KL) per epoch.',
      figure: lossSvg({ epochs: args.epochs }, options),
    },
    {
      name: 'kl',
      title: 'KL per dimension',
      caption:
        'Mean KL(q(z|x) ‖ N(0, 1)) of each latent dimension over the test set: dimensions near 0 are unused.',
      figure: klSvg({ klPerDim: s.klPerDim }, options),
    },
    {
      name: 'prior',
      title: 'Prior samples',
      caption: 'Images decoded from z ~ N(0, I).',
      figure: priorSvg({ ...s.prior, imageShape: shape }, options),
    },
  ];
}

/** One figure of a report. */
export interface ReportFigure {
  /** File name without extension. */
  name: string;
  title: string;
  caption: string;
  figure: FigureSvg;
}

/** PNG of a figure's SVG, rasterised at the size the SVG declares (its figure units × scale). */
export async function rasterizeSvg(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * Checks a report's folder, scale, formats and background before anything is
 * read or written (a run's report and a compare report alike); `invalid_input`
 * naming what is allowed.
 */
export function checkReportArgs(args: {
  dir: string;
  scale?: unknown;
  formats?: unknown;
  background?: unknown;
}): { dir: string; scale: number; formats: FigureFormat[]; background: FigureBackground } {
  if (!isAbsolute(args.dir) || args.dir.includes('\0')) {
    throw new StoreError(
      'invalid_input',
      `The report folder must be an absolute path without NUL characters, not "${args.dir.replace(/\0/g, '\\0')}".`,
    );
  }
  const { scale, formats } = checkFigureArgs(args.scale, args.formats);
  const background = args.background ?? 'light';
  if (typeof background !== 'string' || !(figureBackgrounds as readonly string[]).includes(background)) {
    throw new StoreError(
      'invalid_input',
      `Background must be one of ${figureBackgrounds.join(', ')}, not ${JSON.stringify(background)}.`,
    );
  }
  return { dir: resolve(args.dir), scale, formats, background: background as FigureBackground };
}

/** Checks scale and formats; `invalid_input` naming the allowed values. */
function checkFigureArgs(scale: unknown, formats: unknown): { scale: number; formats: FigureFormat[] } {
  const s = scale ?? defaultFigureScale;
  if (typeof s !== 'number' || !(figureScales as readonly number[]).includes(s)) {
    throw new StoreError(
      'invalid_input',
      `Scale must be one of ${figureScales.join(', ')}, not ${JSON.stringify(s)}.`,
    );
  }
  const f = formats ?? [...figureFormats];
  if (!Array.isArray(f) || f.length === 0) {
    throw new StoreError('invalid_input', `Formats must list one or more of ${figureFormats.join(', ')}.`);
  }
  for (const x of f as unknown[]) {
    if (typeof x !== 'string' || !(figureFormats as readonly string[]).includes(x))
      throw new StoreError(
        'invalid_input',
        `The app writes figures as ${figureFormats.join(' or ')}, not "${String(x)}".`,
      );
  }
  return { scale: s, formats: [...new Set(f as FigureFormat[])] };
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
  const { dir, scale, formats, background } = checkReportArgs(args);
  const run = store.getRun(runId);
  if (args.epoch !== undefined && !run.snapshotEpochs.includes(args.epoch)) {
    throw new StoreError(
      'not_found',
      run.snapshotEpochs.length
        ? `Run "${runId}" has no figures of epoch ${args.epoch}; epochs with figures: ${epochList(run.snapshotEpochs)}.`
        : `Run "${runId}" has no figures yet: it has not finished an epoch.`,
    );
  }
  const snapshot = store.getSnapshot(runId, args.epoch);
  const epoch = snapshot.epoch;
  const skipped: string[] = [];
  let labelNames: string[] | undefined;
  try {
    labelNames = store.getDataset(run.hyperparams.dataset).labels;
  } catch (error) {
    // The bundled MNIST has no dataset row; its labels are the digits themselves.
    if (!(error instanceof StoreError && error.code === 'not_found')) throw error;
  }
  const figureOptions: FigureOptions = { scale, background, deflate: (bytes) => deflateSync(bytes) };
  const figures = reportFigures({
    snapshot,
    epochs: run.epochs,
    ...(labelNames ? { labelNames } : {}),
    options: figureOptions,
  });
  figures.push(
    ...(await decodedFigures({ decode: args.decode, snapshot, labelNames, options: figureOptions, skipped })),
  );

  // Everything that can fail on input (unknown run or epoch) fails before the folder is touched.
  const files = await writeReportFolder({ dir, overwrite: args.overwrite ?? false }, async (write) => {
    const wrote: string[] = [];
    const put = async (name: string, content: Parameters<typeof write>[1]) => {
      await write(name, content);
      wrote.push(name);
    };
    const htmlFigures: HtmlFigure[] = [];
    for (const f of figures) {
      const names: string[] = [];
      if (formats.includes('png')) {
        await put(`${f.name}.png`, await rasterizeSvg(f.figure.svg));
        names.push(`${f.name}.png`);
      }
      if (formats.includes('svg')) {
        await put(`${f.name}.svg`, f.figure.svg);
        names.push(`${f.name}.svg`);
      }
      htmlFigures.push({
        name: f.name,
        title: f.title,
        caption: f.caption,
        files: names,
        width: f.figure.width / scale,
        height: f.figure.height / scale,
      });
    }
    await put('metrics.csv', metricsCsv(run.epochs));
    await put('batches.csv', batchesCsv(store.getBatchMetrics(runId)));
    await put('latent.csv', latentCsv({ ...snapshot.latent, labelNames }));

    const model = await modelFiles({ store, runId, epoch, snapshot, run, skipped });
    const modelEntries: Record<string, string> = {};
    for (const [part, content] of Object.entries(model)) {
      await put(`model/${part}/model.json`, content.modelJson);
      await put(`model/${part}/${weightsFileName}`, content.weights);
      modelEntries[part] = `model/${part}/model.json`;
    }

    await put(
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
    const written = new Set(htmlFigures.flatMap((f) => f.files));
    await put(
      'report.html',
      reportHtml({
        run,
        epoch,
        datasetName: run.hyperparams.dataset,
        figures: htmlFigures,
        otherFiles: wrote.filter((f) => !written.has(f)),
      }),
    );
  });
  return { dir, files, epoch, skipped };
}

/** Steps of the report's interpolation and traversal, and the traversal's range: the screen's defaults. */
const interpolationSteps = 10;
const traversalSteps = 11;
const traversalRange = 3;
/** Rows of the report's traversal: one per latent dimension up to this many (110 decoded images). */
export const maxTraversalRows = 10;

/**
 * The latent dimensions the report's traversal sweeps, ascending: all of
 * them up to {@link maxTraversalRows}; past that the ones with the highest
 * mean KL, since a dimension the encoder does not use (KL near 0) decodes to
 * the same image all along its row.
 */
export function traversalDims(latentDim: number, klPerDim: readonly number[]): number[] {
  const all = Array.from({ length: latentDim }, (_, d) => d);
  if (latentDim <= maxTraversalRows) return all;
  const kl = (d: number) => {
    const v = klPerDim[d];
    return v !== undefined && Number.isFinite(v) ? v : -Infinity;
  };
  // Ties (and missing KL) go to the lower index, so the choice is stable.
  return all
    .sort((a, b) => kl(b) - kl(a) || a - b)
    .slice(0, maxTraversalRows)
    .sort((a, b) => a - b);
}

/** The traversal's caption: what was swept, and which dimensions were left out and why. */
export function traversalCaption(latentDim: number, dims: readonly number[]): string {
  const swept = `${dims.length === 1 ? 'z [0] is' : 'Each latent dimension is'} swept from −${traversalRange} to ${traversalRange} (one row each), the other dimensions at 0.`;
  if (dims.length === latentDim) return swept;
  return `${swept} Only the ${dims.length} of ${latentDim} dimensions with the highest mean KL are shown (${dims.map((d) => `z [${d}]`).join(', ')}); the other ${latentDim - dims.length} are left out, those with KL near 0 decode to the same image along their row.`;
}

/**
 * Interpolation and traversal need images the snapshot does not hold: they
 * are decoded through `decode` (runs:decode, the screen's decoder), or left
 * out with the reason in `skipped`.
 */
export async function decodedFigures(args: {
  decode: ExportReportArgs['decode'];
  snapshot: Snapshot;
  labelNames: string[] | undefined;
  options: FigureOptions;
  skipped: string[];
}): Promise<ReportFigure[]> {
  const { snapshot: s, options } = args;
  const decode = args.decode;
  // A caller without a decoder (a unit test of the folder) asked for none.
  if (!decode) return [];
  const { latentDim: dim, zMu, labels, count } = s.latent;
  if (count < 2) {
    args.skipped.push('interpolation: fewer than two test images have latent codes.');
    return [];
  }
  const row = (i: number) => Array.from(zMu.subarray(i * dim, (i + 1) * dim));
  // From the first test image to the first of another class, as the screen starts.
  let b = 1;
  while (b < count - 1 && labels[b] === labels[0]) b++;
  const name = (i: number) => {
    const l = labels[i] as number;
    return `#${i} (${args.labelNames?.[l] ?? String(l)})`;
  };
  const a0 = row(0);
  const b0 = row(b);
  const dims = traversalDims(dim, s.klPerDim);
  let interp: { images: Uint8Array; count: number };
  let trav: { images: Uint8Array; count: number };
  try {
    interp = await decode(
      linspace(0, 1, interpolationSteps).map((t) => a0.map((v, d) => v + ((b0[d] as number) - v) * t)),
      s.epoch,
    );
    const values = linspace(-traversalRange, traversalRange, traversalSteps);
    trav = await decode(
      dims.flatMap((swept) =>
        values.map((value) => Array.from({ length: dim }, (_, d) => (d === swept ? value : 0))),
      ),
      s.epoch,
    );
  } catch (error) {
    // E.g. no decoder weights stored for this epoch: the rest of the report still stands.
    args.skipped.push(`interpolation, traversal: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  return [
    {
      name: 'interpolation',
      title: 'Interpolation',
      caption: `Images decoded along the straight line from z_mu of test image ${name(0)} to that of ${name(b)}.`,
      figure: interpolationSvg(
        { images: interp.images, count: interp.count, imageShape: s.imageShape, ends: [name(0), name(b)] },
        options,
      ),
    },
    {
      name: 'traversal',
      title: 'Traversal',
      caption: traversalCaption(dim, dims),
      figure: traversalSvg(
        {
          images: trav.images,
          count: traversalSteps,
          dim: dims,
          range: traversalRange,
          imageShape: s.imageShape,
        },
        options,
      ),
    },
  ];
}

/** "1, 2, 3" or "1–40" for a contiguous run of epochs. */
export function epochList(epochs: number[]): string {
  const sorted = [...epochs].sort((a, b) => a - b);
  const first = sorted[0] as number;
  const last = sorted[sorted.length - 1] as number;
  return last - first + 1 === sorted.length && sorted.length > 3 ? `${first}–${last}` : sorted.join(', ');
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
