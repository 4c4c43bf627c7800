import * as path from 'node:path';
import { formatSize } from '../../shared/bytes';
import { runStatuses, type RunStatus, type RunSummary } from '../../shared/run';
import {
  figureBackgrounds,
  figureFormats,
  figureScales,
  type FigureBackground,
  type FigureFormat,
} from '../../shared/figures/svg';
import { maxCompareRuns } from '../../shared/figures/palette';
import { dataOptions, numberFlag, parse, readsOnly, unwrap, UsageError, withApi, type CliIo } from './common';
import { resumeCommand } from './train';

/** The cells of a run's line in the runs table. */
function cells(r: RunSummary): string[] {
  return [
    r.id,
    r.status,
    r.hyperparams.dataset,
    `${r.hyperparams.arch} z${r.hyperparams.latentDim}`,
    `${r.epochsDone}/${r.hyperparams.epochs}`,
    r.lastTest ? r.lastTest.loss.toFixed(2) : '-',
    r.sizeBytes === undefined ? '-' : formatSize(r.sizeBytes),
    r.createdAt.slice(0, 19).replace('T', ' '),
    r.name,
  ];
}

/** The runs table: a header and one line per run, columns padded to their widest cell. */
export function runsTable(rows: string[][]): string {
  const header = ['ID', 'STATUS', 'DATASET', 'MODEL', 'EPOCHS', 'TEST LOSS', 'SIZE', 'CREATED', 'NAME'];
  // A loop, not Math.max(...column): spreading 200,000 values overflows the stack.
  const widths = header.map((h) => h.length);
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i] ?? 0, (row[i] ?? '').length);
  }
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `--keep-checkpoints N|all`: a whole number of at least 1, or null for all. */
function keepFlag(value: string): number | null {
  if (value.trim().toLowerCase() === 'all') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--keep-checkpoints must be a whole number of at least 1 or "all", not "${value}".`);
  }
  return n;
}

/** `vae-studio runs list|show|delete|prune|retention|export|resume`. */
export async function runsCommand(args: string[], io: CliIo, help: string): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      ...dataOptions,
      status: { type: 'string', multiple: true },
      dataset: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      sweep: { type: 'string' },
      out: { type: 'string' },
      epoch: { type: 'string' },
      overwrite: { type: 'boolean' },
      'keep-checkpoints': { type: 'string' },
      scale: { type: 'string' },
      format: { type: 'string' },
      background: { type: 'string' },
    },
  });
  if (values.help || sub === undefined) {
    io.stdout(help);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const runId = () => {
    const id = positionals[0];
    if (!id) throw new UsageError(`runs ${sub} needs a run id (see vae-studio runs list).`);
    return id;
  };
  if (sub === 'resume') return resumeCommand({ runId: runId(), values }, io);
  return withApi({ ...values, ...readsOnly('runs', sub) }, io, async (api) => {
    switch (sub) {
      case 'list': {
        for (const s of values.status ?? []) {
          if (!(runStatuses as readonly string[]).includes(s)) {
            throw new UsageError(`--status must be one of ${runStatuses.join(', ')}, not "${s}".`);
          }
        }
        const limit = numberFlag('limit', values.limit, 'int');
        // --sweep: the sweep's runs, filtered here so the list's own query stays as it is.
        const inSweep = values.sweep
          ? new Set(unwrap(await api.call['sweeps:get']({ sweepId: values.sweep })).jobs.map((j) => j.runId))
          : null;
        let runs = unwrap(
          await api.call['runs:list']({
            ...(values.status ? { status: values.status as RunStatus[] } : {}),
            ...(values.dataset ? { dataset: values.dataset } : {}),
            ...(values.text ? { text: values.text } : {}),
            ...(limit !== undefined && !inSweep ? { limit } : {}),
          }),
        );
        if (inSweep) runs = runs.filter((r) => inSweep.has(r.id)).slice(0, limit);
        io.stdout(
          values.json
            ? `${JSON.stringify(runs)}\n`
            : runs.length
              ? runsTable(runs.map(cells))
              : 'No runs yet.\n',
        );
        return 0;
      }
      case 'show': {
        const run = unwrap(await api.call['runs:get']({ runId: runId() }));
        if (values.json) {
          io.stdout(`${JSON.stringify(run)}\n`);
        } else {
          io.stdout(runsTable([cells(run)]));
          io.stdout(`\nhyperparameters: ${JSON.stringify(run.hyperparams)}\n`);
          io.stdout(`backend: ${run.backend ?? '-'} (${run.device ?? '-'})\n`);
          if (run.statusMessage) io.stdout(`message: ${run.statusMessage}\n`);
          if (run.size) {
            const { size } = run;
            io.stdout(
              `size: ${formatSize(size.total)} (snapshots ${formatSize(size.snapshots)}, ` +
                `per-epoch weights ${formatSize(size.epochWeights)}, checkpoint ${formatSize(size.checkpoint)}, ` +
                `metrics ${formatSize(size.metrics)}); keeps ` +
                (run.keepCheckpoints == null
                  ? "every epoch's weights\n"
                  : run.keepCheckpoints === 1
                    ? "the last epoch's weights\n"
                    : `the last ${run.keepCheckpoints} epochs' weights\n`),
            );
          }
          for (const e of run.epochs) {
            io.stdout(
              `epoch ${e.epoch}: train ${e.train.loss.toFixed(2)}  test ${e.test.loss.toFixed(2)} ` +
                `(recon ${e.test.recon.toFixed(2)}, KL ${e.test.kl.toFixed(2)})  ${e.seconds.toFixed(1)} s\n`,
            );
          }
        }
        return 0;
      }
      case 'delete': {
        unwrap(await api.call['runs:delete']({ runId: runId() }));
        io.stderr(`Deleted run ${runId()}.\n`);
        return 0;
      }
      case 'prune': {
        const flag = values['keep-checkpoints'];
        if (flag === undefined) {
          throw new UsageError(
            "runs prune needs --keep-checkpoints N (keep the last N epochs' weights) or --keep-checkpoints all.",
          );
        }
        const report = unwrap(
          await api.call['runs:prune']({ runId: runId(), keepCheckpoints: keepFlag(flag) }),
        );
        if (values.json) io.stdout(`${JSON.stringify(report)}\n`);
        else
          io.stdout(
            `Pruned the weights of ${report.prunedEpochs.length} epochs: freed ${formatSize(report.freedBytes)}` +
              `${report.compacted ? ' (database compacted)' : ''}; the run now takes ${formatSize(report.run.sizeBytes ?? 0)}.\n`,
          );
        return 0;
      }
      case 'retention': {
        const flag = values['keep-checkpoints'];
        const info = unwrap(
          await api.call['runs:retention'](flag === undefined ? {} : { keepCheckpoints: keepFlag(flag) }),
        );
        if (values.json) io.stdout(`${JSON.stringify(info)}\n`);
        else {
          const keep =
            info.keepCheckpoints === null ? 'every epoch' : `the last ${info.keepCheckpoints} epochs`;
          const { storage } = info;
          io.stdout(
            `New runs keep the weights of ${keep} (snapshots and the resume checkpoint always).\n` +
              `Database: ${formatSize(storage.fileBytes + storage.walBytes)} on disk ` +
              `(runs ${formatSize(storage.runsBytes)}, free ${formatSize(storage.freeBytes)}, log ${formatSize(storage.walBytes)}).\n`,
          );
        }
        return 0;
      }
      case 'export': {
        if (!values.out)
          throw new UsageError('runs export needs --out DIR, the folder to write the report into.');
        const epoch = numberFlag('epoch', values.epoch, 'int');
        const options = {
          dir: path.resolve(values.out),
          ...(epoch !== undefined ? { epoch } : {}),
          ...(values.overwrite ? { overwrite: true } : {}),
          ...figureFlags(values),
        };
        // One id: that run's report; several: a compare report with the same flags, so one verb covers both.
        if (positionals.length > 1) {
          checkCompareIds(positionals);
          const report = unwrap(await api.call['runs:exportCompare']({ runIds: positionals, ...options }));
          if (values.json) io.stdout(`${JSON.stringify(report)}\n`);
          else
            io.stdout(
              `Wrote a compare report of ${positionals.length} runs at epoch ${report.epoch}: ${report.files.length} files to ${report.dir}\n`,
            );
          return 0;
        }
        const report = unwrap(await api.call['runs:export']({ runId: runId(), ...options }));
        if (values.json) io.stdout(`${JSON.stringify(report)}\n`);
        else io.stdout(`Wrote ${report.files.length} files to ${report.dir}\n`);
        return 0;
      }
      default:
        throw new UsageError(
          `Unknown runs command "${sub}"; use list, show, delete, prune, retention, export or resume.`,
        );
    }
  });
}

/** `--scale`, `--format`, `--background` of `runs export`, checked here so the message names the flag. */
export function figureFlags(values: { scale?: string; format?: string; background?: string }): {
  scale?: number;
  formats?: FigureFormat[];
  background?: FigureBackground;
} {
  const out: { scale?: number; formats?: FigureFormat[]; background?: FigureBackground } = {};
  if (values.scale !== undefined) {
    const scale = Number(values.scale);
    if (!(figureScales as readonly number[]).includes(scale))
      throw new UsageError(`--scale must be one of ${figureScales.join(', ')}, not "${values.scale}".`);
    out.scale = scale;
  }
  if (values.format !== undefined) {
    const formats = values.format.split(',').map((f) => f.trim().toLowerCase());
    const wrong = formats.find((f) => !(figureFormats as readonly string[]).includes(f));
    if (wrong !== undefined)
      throw new UsageError(
        `--format takes ${figureFormats.join(', ')} or both separated by a comma (png,svg), not "${wrong}".`,
      );
    out.formats = [...new Set(formats as FigureFormat[])];
  }
  if (values.background !== undefined) {
    if (!(figureBackgrounds as readonly string[]).includes(values.background))
      throw new UsageError(
        `--background must be one of ${figureBackgrounds.join(', ')}, not "${values.background}".`,
      );
    out.background = values.background as FigureBackground;
  }
  return out;
}

/** The run list of a compare report, checked here so the message speaks of the command line. */
function checkCompareIds(ids: string[]): void {
  if (ids.length > maxCompareRuns)
    throw new UsageError(
      `runs export takes at most ${maxCompareRuns} run ids for a compare report (one colour each), not ${ids.length}; split them into several reports.`,
    );
  const twice = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (twice.length)
    throw new UsageError(
      `runs export got run ${twice.map((id) => `"${id}"`).join(', ')} more than once; name each run once.`,
    );
}
