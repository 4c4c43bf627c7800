import {
  backendChoices,
  hyperparamFields,
  hyperparamFlags,
  hyperparamsSchema,
  presetById,
  presetIds,
  type BackendChoice,
  type Hyperparams,
  type PresetId,
} from '../../shared/hyperparams';
import type { RunStatus } from '../../shared/run';
import { isTerminal } from '../../shared/run-status';
import type { Core } from '../core/core';
import { createInProcessApi } from '../transports/in-process';
import { checkWebgpuChoice } from './backends';
import {
  dataOptions,
  formatDuration,
  numberFlag,
  parse,
  unwrap,
  UsageError,
  withCore,
  type CliIo,
} from './common';

type HyperparamFlag = (typeof hyperparamFlags)[keyof Hyperparams];

/** One string option per hyperparameter, named by the shared flag table. */
const hyperparamOptions = Object.fromEntries(
  Object.values(hyperparamFlags).map((flag) => [flag, { type: 'string' }]),
) as { [F in HyperparamFlag]: { type: 'string' } };

/** Hyperparameters from a preset and the flags over it, validated against the shared schema. */
export function hyperparamsFromFlags(values: Record<string, string | boolean | undefined>): Hyperparams {
  const presetId = (values.preset as string | undefined) ?? 'keras-blog';
  if (!(presetIds as readonly string[]).includes(presetId)) {
    throw new UsageError(`--preset must be one of ${presetIds.join(', ')}, not "${presetId}".`);
  }
  const hp: Record<string, unknown> = { ...presetById(presetId as PresetId).hyperparams };
  const str = (key: keyof Hyperparams) => values[hyperparamFlags[key]] as string | undefined;
  if (str('dataset') !== undefined) hp.dataset = str('dataset');
  if (str('arch') !== undefined) hp.arch = str('arch');
  const hidden = str('hidden');
  if (hidden !== undefined) {
    hp.hidden = hidden.split(',').map((part) => numberFlag(hyperparamFlags.hidden, part, 'int'));
  }
  for (const key of Object.keys(hyperparamFields) as (keyof typeof hyperparamFields)[]) {
    const value = numberFlag(hyperparamFlags[key], str(key), hyperparamFields[key].kind);
    if (value !== undefined) hp[key] = value;
  }
  const parsed = hyperparamsSchema.safeParse(hp);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as keyof Hyperparams | undefined;
    throw new UsageError(
      `${key ? `--${hyperparamFlags[key]}: ` : ''}${issue?.message ?? 'invalid hyperparameters'}`,
    );
  }
  return parsed.data;
}

/** Draws a progress bar on stderr (in place on a terminal, one line per epoch otherwise) until the run ends. */
export async function followRun({
  core,
  runId,
  io,
}: {
  core: Core;
  runId: string;
  io: CliIo;
}): Promise<RunStatus> {
  const api = createInProcessApi(core);
  const { hyperparams } = core.store.getRunSummary(runId);
  let lastDraw = 0;
  const offProgress = api.on('run:progress', (p) => {
    if (p.runId !== runId || !io.isTty) return;
    const now = Date.now();
    if (now - lastDraw < 100 && p.step !== p.stepsPerEpoch) return;
    lastDraw = now;
    const width = 24;
    const filled = Math.round((p.step / p.stepsPerEpoch) * width);
    const stepsLeft = p.stepsPerEpoch - p.step + (hyperparams.epochs - p.epoch) * p.stepsPerEpoch;
    const eta =
      p.samplesPerSecond > 0 ? (stepsLeft * hyperparams.batchSize) / p.samplesPerSecond : Number.NaN;
    io.stderr(
      `\repoch ${p.epoch}/${hyperparams.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
        `${p.step}/${p.stepsPerEpoch}  loss ${p.train.loss.toFixed(2)}  ${Math.round(p.samplesPerSecond)} img/s  ` +
        `ETA ${formatDuration(eta)}   `,
    );
  });
  const offEpoch = api.on('run:epoch', ({ runId: id, metrics: m }) => {
    if (id !== runId) return;
    io.stderr(
      `${io.isTty ? '\r\x1b[K' : ''}epoch ${m.epoch}: train ${m.train.loss.toFixed(2)} (recon ${m.train.recon.toFixed(2)}, ` +
        `KL ${m.train.kl.toFixed(2)})  test ${m.test.loss.toFixed(2)}  ${formatDuration(m.seconds)}  ` +
        `${Math.round(m.samplesPerSecond)} img/s\n`,
    );
  });
  const status = await new Promise<RunStatus>((resolve) => {
    const offStatus = api.on('run:status', ({ run }) => {
      if (run.id === runId && isTerminal(run.status)) {
        offStatus();
        resolve(run.status);
      }
    });
    // First Ctrl-C stops the run cleanly (it can be resumed); the process then exits with its status.
    const onSignal = () => {
      io.stderr('\nStopping after this batch… (the run can be resumed with `vae-studio runs resume`)\n');
      void core.dispatch('runs:stop', { runId });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  offProgress();
  offEpoch();
  api.close();
  return status;
}

/** The `--json` answer of train and resume. */
export function runReport(core: Core, runId: string) {
  const run = core.store.getRun(runId);
  return {
    runId: run.id,
    name: run.name,
    status: run.status,
    message: run.statusMessage,
    backend: run.backend,
    device: run.device,
    datasetHash: run.datasetHash,
    hyperparams: run.hyperparams,
    epochs: run.epochs.map((e) => ({
      epoch: e.epoch,
      train: e.train,
      test: e.test,
      beta: e.beta,
      seconds: e.seconds,
      samplesPerSecond: e.samplesPerSecond,
    })),
  };
}

function exitCodeOf(status: RunStatus): number {
  return status === 'completed' || status === 'stopped' ? 0 : 1;
}

/** `vae-studio train`. */
export async function trainCommand(args: string[], io: CliIo, help: string): Promise<number> {
  const { values } = parse({
    args,
    strict: true,
    options: {
      ...dataOptions,
      preset: { type: 'string' },
      ...hyperparamOptions,
      backend: { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  const hyperparams = hyperparamsFromFlags(values);
  const backend = values.backend ?? 'auto';
  if (!(backendChoices as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${backendChoices.join(', ')}, not "${backend}".`);
  }
  if (backend === 'webgpu') await checkWebgpuChoice();
  return withCore(values, io, async (core) => {
    const api = createInProcessApi(core);
    const run = unwrap(
      await api.call['runs:start']({
        hyperparams,
        backend: backend as BackendChoice,
        ...(values.name ? { name: values.name } : {}),
      }),
    );
    api.close();
    io.stderr(`Run ${run.id} "${run.name}" on ${hyperparams.dataset}, ${hyperparams.epochs} epoch(s).\n`);
    const status = await followRun({ core, runId: run.id, io });
    const report = runReport(core, run.id);
    if (report.message) io.stderr(`${status}: ${report.message}\n`);
    else io.stderr(`${status}.\n`);
    if (values.json) io.stdout(`${JSON.stringify(report)}\n`);
    return exitCodeOf(status);
  });
}

/** `vae-studio runs resume ID`. */
export async function resumeCommand(
  { runId, values }: { runId: string; values: { json?: boolean; 'data-dir'?: string; db?: string } },
  io: CliIo,
): Promise<number> {
  return withCore(values, io, async (core) => {
    const api = createInProcessApi(core);
    unwrap(await api.call['runs:resume']({ runId }));
    api.close();
    const status = await followRun({ core, runId, io });
    const report = runReport(core, runId);
    io.stderr(report.message ? `${status}: ${report.message}\n` : `${status}.\n`);
    if (values.json) io.stdout(`${JSON.stringify(report)}\n`);
    return exitCodeOf(status);
  });
}
