import type { Notice } from '../shared/contract';
import { createCore } from './core/core';
import { rendererDir } from './platform/package-info';
import { startBrowserServer, type BrowserServer } from './transports/browser-server';

/** Port browser mode tries first when none is given. */
export const defaultPort = 6150;

export interface ServeOptions {
  dataDir: string;
  dbPath?: string;
  host: string;
  /** The user said to expose the app beyond loopback (`--allow-remote`). */
  allowRemote?: boolean;
  /** null: try {@link defaultPort}, then any free port. */
  port: number | null;
  extraOrigins?: string[];
  token?: string;
  /** Work on unfinished sweeps at start (`--resume-sweeps`). */
  resumeSweeps?: boolean;
}

/** Starts browser mode over a fresh core; resolves once it listens. */
export async function serve(options: ServeOptions): Promise<BrowserServer & { notices: Notice[] }> {
  const core = createCore({
    dataDir: options.dataDir,
    ...(options.dbPath ? { dbPath: options.dbPath } : {}),
    shell: 'browser',
    ...(options.resumeSweeps ? { resumeSweeps: true } : {}),
  });
  const start = (port: number) =>
    startBrowserServer({
      core,
      host: options.host,
      allowRemote: options.allowRemote ?? false,
      port,
      rendererDir: rendererDir(),
      ...(options.extraOrigins ? { extraOrigins: options.extraOrigins } : {}),
      ...(options.token ? { token: options.token } : {}),
    });
  let server: BrowserServer;
  try {
    server = await start(options.port ?? defaultPort);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && options.port === null) {
      server = await start(0);
    } else {
      await core.close();
      throw error;
    }
  }
  return {
    ...server,
    notices: core.notices,
    close: async () => {
      await server.close();
      await core.close();
    },
  };
}
