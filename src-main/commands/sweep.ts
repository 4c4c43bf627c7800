import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendChoices, hyperparamFlags, type BackendChoice } from '../../shared/hyperparams';
import {
  sweepKeys,
  parseAxis,
  SweepSpecError,
  type SweepAxis,
  type SweepDetail,
  type SweepKey,
} from '../../shared/sweep';
import type { Core } from '../core/core';
import { createInProcessApi } from '../transports/in-process';
import {
  dataOptions,
  formatDuration,
  parse,
  unwrap,
  UsageError,
  withApi,
  withCore,
  type CliIo,
} from './common';
import { hyperparamsFromFlags } from './train';

/** Options of `vae-studio sweep`: every hyperparameter flag (lists and ranges for the numeric ones). */
const sweepOptions = {
  ...dataOptions,
  preset: { type: 'string' },
  ...(Object.fromEntries(Object.values(hyperparamFlags).map((flag) => [flag, { type: 'string' }])) as Record<
    (typeof hyperparamFlags)[keyof typeof hyperparamFlags],
    { type: 'string' }
  >),
  backend: { type: 'string' },
  name: { type: 'string' },
  samples: { type: 'string' },
  'search-seed': { type: 'string' },
  parallel: { type: 'string' },
} as const;

export const sweepHelp = `  sweep                 Queue a grid of runs and train them one at a time (--json: the sweep and its runs)
      --beta 0.5,1,4      any numeric hyperparameter flag takes one value, a list, or a range from:to:count
      --lr 1e-4:1e-2:3    (the learning rate's ranges are spread on a log scale)
      --samples N         random search: N draws from the lists and ranges instead of the grid
      --search-seed S     seed of the random search (default 1)
      --parallel N        N workers (processes, one training each) on the queue; default 1
      --name TEXT         a name for the sweep; other train flags set the fixed hyperparameters
  sweep resume ID       Finish a sweep's remaining runs (a run cut off resumes from its checkpoint)
  sweep list            Every sweep with its id and progress
  sweep show ID         A sweep's runs, swept values and final test losses
`;

/** Splits the flags into the sweep's axes (numeric fields given a list or range) and the fixed rest. */
export function sweepSpecFromFlags(values: Record<string, string | boolean | undefined>) {
  const axes: SweepAxis[] = [];
  const fixed: Record<string, string | boolean | undefined> = { ...values };
  for (const key of sweepKeys) {
    const flag = hyperparamFlags[key];
    const text = values[flag];
    if (typeof text !== 'string') continue;
    let axis: SweepAxis;
    try {
      axis = parseAxis(key, text);
    } catch (error) {
      if (error instanceof SweepSpecError) throw new UsageError(error.message);
      throw error;
    }
    // One value is a fixed hyperparameter, checked by the same rules as train's.
    if ('values' in axis && axis.values.length === 1) {
      fixed[flag] = String(axis.values[0]);
      continue;
    }
    delete fixed[flag];
    axes.push(axis);
  }
  const base = hyperparamsFromFlags(fixed);
  const samples = values.samples === undefined ? undefined : Number(values.samples);
  if (samples !== undefined && (!Number.isInteger(samples) || samples < 1)) {
    throw new UsageError(`--samples must be an integer of at least 1, not "${String(values.samples)}".`);
  }
  const seed = values['search-seed'] === undefined ? undefined : Number(values['search-seed']);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647)) {
    throw new UsageError(`--search-seed must be an integer from 0 to 2147483647.`);
  }
  return {
    base,
    axes,
    mode: samples === undefined ? ('grid' as const) : ('random' as const),
    ...(samples !== undefined ? { samples } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** The `--json` answer of sweep and sweep resume/show. */
export function sweepReport(sweep: SweepDetail) {
  return {
    sweepId: sweep.id,
    name: sweep.name,
    status: sweep.status,
    total: sweep.total,
    done: sweep.done,
    completed: sweep.completed,
    failed: sweep.failed,
    keys: sweep.keys,
    runs: sweep.jobs.map((j) => ({
      jobId: j.id,
      runId: j.runId,
      status: j.status,
      values: j.values,
      epochsDone: j.run?.epochsDone ?? 0,
      testLoss: j.run?.lastTest?.loss ?? null,
      message: j.message,
    })),
  };
}

function valuesText(values: Partial<Record<SweepKey, number>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${hyperparamFlags[k as SweepKey]} ${v}`)
    .join(', ');
}

/** Works on a sweep here until nothing is left to claim, printing a line per run on stderr. */
async function follow(core: Core, sweepId: string, io: CliIo): Promise<SweepDetail> {
  const api = createInProcessApi(core);
  const announced = new Set<string>();
  const reported = new Set<number>();
  const started = Date.now();
  const off = api.on('sweep:status', ({ sweep }) => {
    if (sweep.id !== sweepId) return;
    const detail = core.sweeps.get(sweepId);
    for (const job of detail.jobs) {
      const ended = !['queued', 'running'].includes(job.status);
      if (job.status === 'running' && job.runId && !announced.has(job.runId)) {
        announced.add(job.runId);
        io.stderr(`[${detail.done + 1}/${detail.total}] ${valuesText(job.values)}: run ${job.runId}\n`);
      }
      if (ended && !reported.has(job.id) && (job.runId ? announced.has(job.runId) : true)) {
        reported.add(job.id);
        const loss = job.run?.lastTest?.loss;
        const elapsed = (Date.now() - started) / 1000;
        const eta = detail.done > 0 ? (elapsed / detail.done) * (detail.total - detail.done) : Number.NaN;
        io.stderr(
          `  ${job.status}${loss !== undefined ? `, test loss ${loss.toFixed(2)}` : ''}` +
            `${job.message && job.status !== 'completed' ? ` (${job.message})` : ''}` +
            `  — ${detail.done}/${detail.total} done, ETA ${formatDuration(eta)}\n`,
        );
      }
    }
  });
  const offEpoch = api.on('run:epoch', ({ runId, metrics: m }) => {
    if (!announced.has(runId)) return;
    io.stderr(`    epoch ${m.epoch}: train ${m.train.loss.toFixed(2)}  test ${m.test.loss.toFixed(2)}\n`);
  });
  // Ctrl-C stops the sweep cleanly: the run in progress keeps its checkpoint, `sweep resume` continues.
  const onSignal = () => {
    io.stderr('\nStopping the sweep after this batch… (continue with `vae-studio sweep resume`)\n');
    void core.dispatch('sweeps:stop', { sweepId });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await core.sweeps.whenDone(sweepId);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    off();
    offEpoch();
    api.close();
  }
  return core.sweeps.get(sweepId);
}

function finish(sweep: SweepDetail, json: boolean | undefined, io: CliIo): number {
  io.stderr(
    `Sweep ${sweep.id} "${sweep.name}": ${sweep.status}, ${sweep.completed} of ${sweep.total} run(s) completed` +
      `${sweep.failed > 0 ? `, ${sweep.failed} failed or diverged` : ''}.\n`,
  );
  if (json) io.stdout(`${JSON.stringify(sweepReport(sweep))}\n`);
  return sweep.status === 'completed' && sweep.completed === sweep.total ? 0 : 1;
}

/**
 * Extra workers for `--parallel N`: each is a `vae-studio sweep resume ID`
 * process with its own training worker, claiming from the same SQLite queue.
 * Their stderr is passed through with a prefix.
 */
function spawnWorkers(
  count: number,
  sweepId: string,
  values: { 'data-dir'?: string | undefined; db?: string | undefined },
  io: CliIo,
): ChildProcess[] {
  const bin = path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'vae-studio.js');
  if (count > 0 && !fs.existsSync(bin)) {
    io.stderr(`--parallel: ${bin} is missing, so this process works alone.\n`);
    return [];
  }
  return Array.from({ length: count }, (_, i) => {
    const args = [bin, 'sweep', 'resume', sweepId];
    if (values['data-dir']) args.push('--data-dir', values['data-dir']);
    if (values.db) args.push('--db', values.db);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let rest = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) io.stderr(`[worker ${i + 2}] ${line}\n`);
    });
    return child;
  });
}

function parallelOf(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  const cores = os.availableParallelism();
  if (!Number.isInteger(n) || n < 1 || n > cores) {
    throw new UsageError(
      `--parallel must be an integer from 1 to ${cores} (the cores here; the workers share them), not "${text}".`,
    );
  }
  return n;
}

/** `vae-studio sweep …`. */
export async function sweepCommand(args: string[], io: CliIo, help: string): Promise<number> {
  const sub = args[0];
  if (sub === 'resume' || sub === 'list' || sub === 'show') {
    const { values, positionals } = parse({
      args: args.slice(1),
      strict: true,
      allowPositionals: true,
      options: dataOptions,
    });
    if (values.help) {
      io.stdout(help);
      return 0;
    }
    if (sub === 'list') {
      return withApi({ ...values, readonly: true }, io, async (api) => {
        const list = unwrap(await api.call['sweeps:list']({}));
        if (values.json) io.stdout(`${JSON.stringify(list)}\n`);
        else if (list.length === 0) io.stdout('No sweeps yet (start one with vae-studio sweep).\n');
        else
          for (const s of list)
            io.stdout(`${s.id}  ${s.status.padEnd(9)}  ${s.done}/${s.total}  ${s.name}\n`);
        return 0;
      });
    }
    const id = positionals[0];
    if (!id) throw new UsageError(`sweep ${sub} needs a sweep id (see vae-studio sweep list).`);
    if (sub === 'show') {
      return withApi({ ...values, readonly: true }, io, async (api) => {
        const sweep = unwrap(await api.call['sweeps:get']({ sweepId: id }));
        if (values.json) io.stdout(`${JSON.stringify(sweepReport(sweep))}\n`);
        else {
          io.stdout(`${sweep.name} (${sweep.status}, ${sweep.done}/${sweep.total})\n`);
          for (const j of sweep.jobs) {
            const loss = j.run?.lastTest?.loss;
            io.stdout(
              `  ${String(j.id).padStart(4)}  ${j.status.padEnd(9)}  ${valuesText(j.values).padEnd(30)}  ` +
                `${loss === undefined ? '' : loss.toFixed(2)}  ${j.runId ?? ''}\n`,
            );
          }
        }
        return 0;
      });
    }
    return withCore(values, io, async (core) => {
      const api = createInProcessApi(core);
      const sweep = unwrap(await api.call['sweeps:resume']({ sweepId: id }));
      api.close();
      io.stderr(`Sweep ${sweep.id} "${sweep.name}": ${sweep.total - sweep.done} run(s) left.\n`);
      return finish(await follow(core, id, io), values.json, io);
    });
  }
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: sweepOptions,
  });
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `Unknown sweep command "${positionals[0]}"; use resume, list or show, or flags to start one.`,
    );
  }
  const parsed = sweepSpecFromFlags(values);
  const parallel = parallelOf(values.parallel);
  // Workers side by side share the cores rather than each taking them all.
  const spec =
    parallel > 1 && parsed.base.threads === null
      ? {
          ...parsed,
          base: { ...parsed.base, threads: Math.max(1, Math.floor(os.availableParallelism() / parallel)) },
        }
      : parsed;
  const backend = values.backend ?? 'auto';
  if (!(backendChoices as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${backendChoices.join(', ')}, not "${backend}".`);
  }
  return withCore(values, io, async (core) => {
    const api = createInProcessApi(core);
    const sweep = unwrap(
      await api.call['sweeps:start']({
        spec,
        backend: backend as BackendChoice,
        ...(values.name ? { name: values.name } : {}),
      }),
    );
    api.close();
    io.stderr(`Sweep ${sweep.id} "${sweep.name}": ${sweep.total} run(s) queued.\n`);
    const workers = spawnWorkers(Math.min(parallel, sweep.total) - 1, sweep.id, values, io);
    const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    await follow(core, sweep.id, io);
    // This process has nothing left to claim; the other workers may still be training theirs.
    await Promise.all(exited);
    return finish(core.sweeps.get(sweep.id), values.json, io);
  });
}
