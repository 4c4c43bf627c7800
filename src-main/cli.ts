import { backendsCommand } from './commands/backends';
import { datasetsCommand } from './commands/datasets';
import { CliFailure, parse, UsageError, type CliIo } from './commands/common';
import { trainOptionsHelp } from './commands/help';
import { runsCommand } from './commands/runs';
import { sweepCommand, sweepHelp } from './commands/sweep';
import { trainCommand } from './commands/train';
import { AppError } from './core/app-error';
import { appVersion } from './platform/package-info';
import { resolveDataDir } from './platform/paths';
import { serve } from './serve';
import { isLoopbackHost, tokenProblem } from './transports/browser-server';

export { UsageError } from './commands/common';

const help = `VAE Studio — train and explore Variational Autoencoders.

Usage: vae-studio <command> [options]

Commands:
  train                 Train a VAE; a progress bar on stderr, --json prints the result on stdout
${trainOptionsHelp()}  runs list             List runs [--status S] [--dataset D] [--text T] [--sweep ID] [--limit N]
  runs show ID          A run's hyperparameters, per-epoch losses and size on disk
  runs resume ID        Continue a stopped or interrupted run from its last checkpoint
  runs export ID        Write the report folder (report.html, figures, CSV, model): --out DIR
                        [--epoch N] [--scale 1|2|3] [--format png,svg] [--background light|dark|transparent] [--overwrite]
  runs export ID ID …   A compare report of 2 to 10 runs (overlaid losses, what differs, figures side by
                        side at --epoch N, else the newest epoch all have); same flags
  runs delete ID        Delete a run and everything it owns
  runs prune ID         Keep only the last N epochs' weights: --keep-checkpoints N|all
                        (snapshots and the resume checkpoint always stay)
  runs retention        The default for new runs and the database's size [--keep-checkpoints N|all]
${sweepHelp}  datasets list         Datasets available for training
  datasets import       --idx DIR|FILES… --name NAME [--class-names a,b,…]
                        --folder DIR --name NAME [--size 28] [--channels 1|3] [--class-names a,b,…]
                        (IDX: a labels.txt beside the files, one name per line, also names the classes)
  datasets classes NAME --class-names a,b,…   Rename a dataset's classes (one name per label)
  backends              Training backends, what each runs on (GPU adapter, CPU) or why it is unavailable
  serve                 Browser mode: the app over HTTP on this machine
      --port N            port to listen on (default 6150, else any free port; 0 = any)
      --host H            interface to bind (default 127.0.0.1); any other needs --allow-remote
      --allow-remote      accept --host beyond loopback: anyone who reaches it may try the token,
                          which travels in clear text (prefer an SSH tunnel)
      --allow-origin O    also accept pages served from origin O (e.g. a dev server)
      --resume-sweeps     go on with the sweeps a closed or killed process left unfinished
  help                  Show this help
  version               Print the version

Options of every command that uses data:
  --data-dir D          data folder (default: the desktop app's; env VAE_STUDIO_DATA_DIR)
  --db PATH             database file (default: D/vae-studio.db; env VAE_STUDIO_DB)
  --json                machine-readable output on stdout
  -h, --help            Show this help

Exit codes: 0 success, 2 bad arguments or input, 1 anything else.
`;

function portOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, not "${value}".`);
  }
  return port;
}

/** True for an origin as a browser sends it: scheme, host and optional port, nothing else. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      db: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'allow-remote': { type: 'boolean' },
      'resume-sweeps': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  const host = values.host ?? '127.0.0.1';
  const allowRemote = values['allow-remote'] ?? false;
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new UsageError(
      `--host ${host} would expose the app beyond this machine, with its token in clear text; ` +
        'use an SSH tunnel to 127.0.0.1 instead, or add --allow-remote if you mean it.',
    );
  }
  // Only `npm run dev` sets it, to keep one token across restarts of the server.
  const token = process.env.VAE_STUDIO_TOKEN;
  if (token !== undefined && token !== '') {
    const problem = tokenProblem(token);
    if (problem !== null) {
      throw new UsageError(`VAE_STUDIO_TOKEN: ${problem} Unset it to get a random token per launch.`);
    }
  }
  for (const origin of values['allow-origin'] ?? []) {
    if (!isOrigin(origin)) {
      throw new UsageError(`--allow-origin takes an origin such as http://127.0.0.1:5173, not "${origin}".`);
    }
  }
  const dataDir = resolveDataDir(values['data-dir']);
  let server;
  try {
    server = await serve({
      dataDir,
      ...(values.db ? { dbPath: values.db } : {}),
      host,
      allowRemote,
      port: portOf(values.port),
      extraOrigins: values['allow-origin'] ?? [],
      ...(token ? { token } : {}),
      ...(values['resume-sweeps'] ? { resumeSweeps: true } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UsageError(
        `Port ${values.port ?? ''} is in use; choose another with --port (0 = any free port).`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new UsageError(`Cannot listen on host "${host}": no such interface here.`);
    }
    throw error;
  }
  if (!isLoopbackHost(host)) {
    io.stderr(
      `Warning: listening on ${host} (--allow-remote). The token travels in clear text over plain HTTP: ` +
        'anyone on the network path can read it and use the app. Prefer an SSH tunnel to 127.0.0.1.\n',
    );
  }
  for (const notice of server.notices) io.stderr(`${notice.level}: ${notice.message}\n`);
  io.stdout(`VAE Studio is serving at ${server.url}\n`);
  io.stdout(`Data folder: ${dataDir}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

/** Runs the command line; resolves the process exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(help);
        return 0;
      case 'version':
      case '--version':
      case '-v':
        io.stdout(`${appVersion()}\n`);
        return 0;
      case 'serve':
        return await serveCommand(rest, io);
      case 'train':
        return await trainCommand(rest, io, help);
      case 'runs':
        return await runsCommand(rest, io, help);
      case 'datasets':
        return await datasetsCommand(rest, io, help);
      case 'sweep':
        return await sweepCommand(rest, io, help);
      case 'backends':
        return await backendsCommand(rest, io, help);
      default:
        throw new UsageError(`Unknown command "${command}"; run vae-studio --help for the list.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`vae-studio: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CliFailure || error instanceof AppError) {
      io.stderr(`vae-studio: ${error.message}\n`);
      return 1;
    }
    io.stderr(`vae-studio: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.VAE_STUDIO_DEBUG) console.error(error);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stderr.isTTY,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
