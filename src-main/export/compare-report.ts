import { deflateSync } from 'node:zlib';
import type { RunDetail } from '../../shared/contract';
import { compareLossSvg } from '../../shared/figures/figures';
import { maxCompareRuns } from '../../shared/figures/palette';
import { type FigureBackground, type FigureFormat, type FigureOptions } from '../../shared/figures/svg';
import type { Snapshot } from '../../shared/run';
import { StoreError, type RunStore } from '../store';
import { compareHtml, type CompareCell, type CompareRow } from './compare-html';
import { metricsCsv } from './csv';
import { writeReportFolder } from './report-folder';
import {
  checkReportArgs,
  decodedFigures,
  epochList,
  rasterizeSvg,
  reportFigures,
  type ExportReportResult,
  type ReportFigure,
} from './report';

/** Longest run name a legend shows before it is cut with "…". */
const maxShownName = 40;

/** Arguments of {@link exportCompareReport}. */
export interface ExportCompareArgs {
  store: RunStore;
  /** Two to {@link maxCompareRuns} runs, in the order their colours and columns take. */
  runIds: string[];
  /** The report folder, absolute; created when missing. */
  dir: string;
  overwrite?: boolean;
  /** The epoch of every run's figures; the newest epoch every run has figures of when omitted. */
  epoch?: number;
  scale?: number;
  formats?: FigureFormat[];
  background?: FigureBackground;
  /** Decodes latent points with a run's decoder (interpolation, traversal); skipped without it. */
  decode?: (
    runId: string,
    points: number[][],
    epoch: number,
  ) => Promise<{ images: Uint8Array; count: number }>;
}

/** What {@link exportCompareReport} wrote. */
export interface ExportCompareResult extends ExportReportResult {
  runIds: string[];
}

/** Run names as the report shows them: cut when long, and a name two runs share gets its run's id. */
export function shownNames(runs: { id: string; name: string }[]): string[] {
  const cut = (s: string) => (s.length > maxShownName ? `${s.slice(0, maxShownName - 1)}…` : s);
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return runs.map((r) =>
    (counts.get(r.name) ?? 0) > 1 ? `${cut(r.name)} (${r.id.slice(0, 8)})` : cut(r.name),
  );
}

/**
 * The epoch of a compare report's figures: `asked` when every run has
 * figures of it, else the newest epoch they all have. Fails with `not_found`
 * naming the runs that lack it.
 */
export function compareEpoch(
  runs: Pick<RunDetail, 'id' | 'name' | 'snapshotEpochs'>[],
  asked?: number,
): number {
  const label = (r: { id: string; name: string }) => `"${r.name}" (${r.id})`;
  const empty = runs.filter((r) => r.snapshotEpochs.length === 0);
  if (empty.length) {
    throw new StoreError(
      'not_found',
      `${empty.map(label).join(', ')} ${empty.length === 1 ? 'has' : 'have'} no figures yet (no epoch finished); leave ${empty.length === 1 ? 'it' : 'them'} out of the comparison or wait for an epoch to end.`,
    );
  }
  if (asked !== undefined) {
    const lacking = runs.filter((r) => !r.snapshotEpochs.includes(asked));
    if (lacking.length) {
      throw new StoreError(
        'not_found',
        `Not every run has figures of epoch ${asked}: ${lacking.map((r) => `${label(r)} has epochs ${epochList(r.snapshotEpochs)}`).join('; ')}. Choose an epoch every run has, or leave the epoch out for the newest one they share.`,
      );
    }
    return asked;
  }
  const [first, ...rest] = runs.map((r) => new Set(r.snapshotEpochs));
  const shared = [...(first ?? [])].filter((e) => rest.every((s) => s.has(e)));
  if (shared.length === 0) {
    throw new StoreError(
      'not_found',
      `The runs have no epoch with figures in common (${runs.map((r) => `${label(r)}: ${epochList(r.snapshotEpochs)}`).join('; ')}); compare runs whose epochs overlap.`,
    );
  }
  return Math.max(...shared);
}

/** Checks the run list's shape: two or more, at most {@link maxCompareRuns}, no run twice. */
export function checkCompareRunIds(runIds: string[]): void {
  if (runIds.length < 2) {
    throw new StoreError(
      'invalid_input',
      `A compare report needs two or more runs, not ${runIds.length}; for one run write its own report (runs export ID --out DIR, "Write report" on its page).`,
    );
  }
  if (runIds.length > maxCompareRuns) {
    throw new StoreError(
      'invalid_input',
      `A compare report holds at most ${maxCompareRuns} runs (one colour each), not ${runIds.length}; split them into several reports.`,
    );
  }
  const twice = runIds.filter((id, i) => runIds.indexOf(id) !== i);
  if (twice.length) {
    throw new StoreError(
      'invalid_input',
      `Run ${[...new Set(twice)].map((id) => `"${id}"`).join(', ')} is named more than once; name each run once.`,
    );
  }
}

/** The side-by-side figures, in the single report's order; the loss is drawn once for all runs instead. */
const sideBySideOrder = ['gallery', 'manifold', 'latent', 'kl', 'prior', 'interpolation', 'traversal'];

/**
 * Writes a compare report: `report.html` with every run's loss curves
 * overlaid (`loss.png`/`loss.svg`), the hyperparameter table with what
 * differs marked, the final metrics, and each run's figures at one epoch side
 * by side, drawn by the same functions as a run's report into one folder per
 * run (`<run id>/`, with its `metrics.csv`), plus `comparison.json`.
 *
 * Everything that can be wrong with the input (too few or too many runs, an
 * unknown run, an epoch not every run has, a scale, format or background the
 * app does not write, a folder that cannot be used) fails before the folder
 * is touched; the folder is written all or nothing like a run's report.
 */
export async function exportCompareReport(args: ExportCompareArgs): Promise<ExportCompareResult> {
  const { store, runIds } = args;
  const { dir, scale, formats, background } = checkReportArgs(args);
  checkCompareRunIds(runIds);
  const runs: RunDetail[] = [];
  const unknown: string[] = [];
  for (const id of runIds) {
    try {
      runs.push(store.getRun(id));
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'not_found')) throw error;
      unknown.push(id);
    }
  }
  // Every unknown id at once, so a typing error is fixed in one go.
  if (unknown.length) {
    throw new StoreError(
      'not_found',
      `There is no run ${unknown.map((id) => `"${id}"`).join(', ')} (deleted, or mistyped); list the runs to find their ids.`,
    );
  }
  const epoch = compareEpoch(runs, args.epoch);
  const comparison = store.compareRuns(runIds);
  const names = shownNames(runs);
  const options: FigureOptions = { scale, background, deflate: (bytes) => deflateSync(bytes) };
  const skipped: string[] = [];

  const perRun: { run: RunDetail; snapshot: Snapshot; figures: ReportFigure[] }[] = [];
  for (const run of runs) {
    const snapshot = store.getSnapshot(run.id, epoch);
    const labelNames = datasetLabels(store, run.hyperparams.dataset);
    const figures = reportFigures({
      snapshot,
      epochs: run.epochs,
      ...(labelNames ? { labelNames } : {}),
      options,
    }).filter((f) => f.name !== 'loss');
    const decode = args.decode;
    const runSkipped: string[] = [];
    figures.push(
      ...(await decodedFigures({
        decode: decode ? (points, at) => decode(run.id, points, at) : undefined,
        snapshot,
        labelNames,
        options,
        skipped: runSkipped,
      })),
    );
    skipped.push(...runSkipped.map((s) => `${run.id}: ${s}`));
    perRun.push({ run, snapshot, figures });
  }
  const loss = compareLossSvg(
    {
      runs: comparison.series.map((s, i) => ({
        id: s.runId,
        name: names[i] as string,
        epochs: comparison.epochs.map((e) => ({
          epoch: e,
          train: s.train[e - 1]?.loss ?? null,
          test: s.test[e - 1]?.loss ?? null,
        })),
      })),
    },
    options,
  );

  const files = await writeReportFolder({ dir, overwrite: args.overwrite ?? false }, async (write) => {
    const wrote: string[] = [];
    const put = async (name: string, content: string | Uint8Array) => {
      await write(name, content);
      wrote.push(name);
    };
    const writeFigure = async (base: string, svg: string): Promise<string[]> => {
      const names: string[] = [];
      if (formats.includes('png')) {
        await put(`${base}.png`, await rasterizeSvg(svg));
        names.push(`${base}.png`);
      }
      if (formats.includes('svg')) {
        await put(`${base}.svg`, svg);
        names.push(`${base}.svg`);
      }
      return names;
    };
    const lossFiles = await writeFigure('loss', loss.svg);
    const cells = new Map<string, CompareCell[]>(sideBySideOrder.map((n) => [n, []]));
    const titles = new Map<string, { title: string; caption: string }>();
    for (const { run, figures } of perRun) {
      const byName = new Map(figures.map((f) => [f.name, f]));
      for (const name of sideBySideOrder) {
        const f = byName.get(name);
        const list = cells.get(name) as CompareCell[];
        if (!f) {
          list.push({ missing: `Not drawn: ${missingReason(skipped, run.id, name)}` });
          continue;
        }
        if (!titles.has(name)) titles.set(name, { title: f.title, caption: f.caption });
        const inRun = await writeFigure(`${run.id}/${f.name}`, f.figure.svg);
        list.push({
          figure: {
            name: f.name,
            title: f.title,
            caption: f.caption,
            // Relative to the run's folder: the page adds the folder.
            files: inRun.map((x) => x.slice(run.id.length + 1)),
            width: f.figure.width / scale,
            height: f.figure.height / scale,
          },
        });
      }
      await put(`${run.id}/metrics.csv`, metricsCsv(run.epochs));
    }
    const rows: CompareRow[] = sideBySideOrder.flatMap((name) => {
      const t = titles.get(name);
      // A figure no run could draw (no decoder weights anywhere) is left out, its reason in comparison.json.
      if (!t) return [];
      const list = cells.get(name) as CompareCell[];
      const captions = new Set(list.flatMap((c) => ('figure' in c ? [c.figure.caption] : [])));
      // One caption over the row when the runs share it; else each run's under its figure (e.g. which dimensions a traversal shows).
      return [{ name, title: t.title, caption: captions.size === 1 ? t.caption : '', cells: list }];
    });
    await put(
      'comparison.json',
      JSON.stringify(
        {
          runs: comparison.runs,
          exportedEpoch: epoch,
          exportedAt: new Date().toISOString(),
          hyperparams: comparison.table,
          differing: comparison.table.filter((r) => r.differs).map((r) => r.key),
          folders: Object.fromEntries(runs.map((r) => [r.id, `${r.id}/`])),
          skipped,
        },
        null,
        2,
      ) + '\n',
    );
    const figureFiles = new Set([
      ...lossFiles,
      ...rows.flatMap((r, _i) =>
        r.cells.flatMap((c, j) => ('figure' in c ? c.figure.files.map((f) => `${runs[j]?.id}/${f}`) : [])),
      ),
    ]);
    await put(
      'report.html',
      compareHtml({
        runs,
        names,
        dirs: runs.map((r) => r.id),
        comparison,
        epoch,
        loss: {
          name: 'loss',
          title: 'Loss',
          caption:
            'Test loss (solid) and training loss (dashed) per epoch, reconstruction + β·KL, one colour per run.',
          files: lossFiles,
          width: loss.width / scale,
          height: loss.height / scale,
        },
        rows,
        otherFiles: wrote.filter((f) => !figureFiles.has(f)),
      }),
    );
  });
  return { dir, files, epoch, skipped, runIds };
}

/** Why a run's figure is missing, from what the export skipped. */
function missingReason(skipped: string[], runId: string, name: string): string {
  const line = skipped.find((s) => s.startsWith(`${runId}: `) && s.includes(name));
  return line ? line.slice(runId.length + 2) : 'nothing to draw it from.';
}

/** A dataset's label names; none for the bundled MNIST, whose labels are the digits. */
function datasetLabels(store: RunStore, name: string): string[] | undefined {
  try {
    return store.getDataset(name).labels;
  } catch (error) {
    if (!(error instanceof StoreError && error.code === 'not_found')) throw error;
    return undefined;
  }
}
