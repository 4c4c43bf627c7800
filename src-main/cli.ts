import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError } from './core/app-error';
import { resolveDataDir } from './platform/paths';
import { appVersion } from './platform/package-info';
import { serve } from './serve';

/** Bad arguments or input: one line on stderr, exit code 2. */
export class UsageError extends Error {}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const help = `VAE Studio — train and explore Variational Autoencoders.

Usage: vae-studio <command> [options]

Commands:
  serve                 Browser mode: the app over HTTP on this machine
      --port N            port to listen on (default 6150, else any free port; 0 = any)
      --host H            interface to bind (default 127.0.0.1; anything else exposes the app)
      --data-dir D        data folder (default: the desktop app's; env VAE_STUDIO_DATA_DIR)
      --allow-origin O    also accept pages served from origin O (e.g. a dev server)
  help                  Show this help
  version               Print the version

Options for every command:
  -h, --help            Show this help
  -v, --version         Print the version

Exit codes: 0 success, 2 bad arguments or input, 1 anything else.
`;

/** parseArgs, with its errors turned into one usage line. */
export function parse<const T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see vae-studio --help)`);
  }
}

function portOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, not "${value}".`);
  }
  return port;
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  const host = values.host ?? '127.0.0.1';
  const dataDir = resolveDataDir(values['data-dir']);
  let server;
  try {
    server = await serve({
      dataDir,
      host,
      port: portOf(values.port),
      extraOrigins: values['allow-origin'] ?? [],
      // Only `npm run dev` sets it, to keep one token across restarts of the server.
      ...(process.env.VAE_STUDIO_TOKEN ? { token: process.env.VAE_STUDIO_TOKEN } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError(
        `Port ${values.port ?? ''} is in use; choose another with --port (0 = any free port).`,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UsageError(`Cannot listen on host "${host}": no such interface here.`);
    throw error;
  }
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    io.stderr(`Warning: listening on ${host}; anyone who can reach it and has the token can use the app.\n`);
  }
  io.stdout(`VAE Studio is serving at ${server.url}\n`);
  io.stdout(`Data folder: ${dataDir}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
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
      default:
        throw new UsageError(`Unknown command "${command}"; run vae-studio --help for the list.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`vae-studio: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AppError && (error.code === 'invalid_argument' || error.code === 'invalid_input')) {
      io.stderr(`vae-studio: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AppError) {
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
