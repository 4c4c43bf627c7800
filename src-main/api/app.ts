import * as os from 'node:os';
import type { AppInfo, Notice } from '../../shared/contract';
import type { HandlerTable } from '../core/dispatcher';
import { AppError } from '../core/app-error';
import { listBackends } from '../training/webgpu-probe';
import { productName } from '../platform/paths';

export interface AppHandlerContext {
  version: string;
  dataDir: string;
  shell: AppInfo['shell'];
  notices: readonly Notice[];
  /** The shell's open dialog (the desktop app's); absent in browser mode and the CLI. */
  choosePaths?: PathChooser;
}

/** Opens the system's file dialog; resolves the chosen paths, none when cancelled. */
export type PathChooser = (kind: 'idx' | 'folder') => Promise<string[]>;

/** `app:*` commands. */
export function appHandlers(ctx: AppHandlerContext): Pick<HandlerTable, 'app:info' | 'app:choosePaths'> {
  return {
    'app:info': async () => ({
      name: productName,
      version: ctx.version,
      // The webgpu row asks Dawn for its adapters once per process.
      backends: await listBackends(),
      dataDir: ctx.dataDir,
      platform: `${os.type()} ${os.release()}`,
      arch: process.arch,
      shell: ctx.shell,
      canChoosePaths: ctx.choosePaths !== undefined,
      notices: [...ctx.notices],
    }),
    'app:choosePaths': async ({ kind }) => {
      if (!ctx.choosePaths)
        throw new AppError(
          'unavailable',
          'A file dialog needs the desktop app. Type the paths on the disk of the machine running VAE Studio instead.',
        );
      return { paths: await ctx.choosePaths(kind) };
    },
  };
}
