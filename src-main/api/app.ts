import * as os from 'node:os';
import type { AppInfo, Notice } from '../../shared/contract';
import type { HandlerTable } from '../core/dispatcher';
import { probeBackends } from '../training/backend-probe';
import { productName } from '../platform/paths';

export interface AppHandlerContext {
  version: string;
  dataDir: string;
  shell: AppInfo['shell'];
  notices: readonly Notice[];
}

/** `app:*` commands. */
export function appHandlers(ctx: AppHandlerContext): Pick<HandlerTable, 'app:info'> {
  return {
    'app:info': () => ({
      name: productName,
      version: ctx.version,
      backends: probeBackends(),
      dataDir: ctx.dataDir,
      platform: `${os.type()} ${os.release()}`,
      arch: process.arch,
      shell: ctx.shell,
      notices: [...ctx.notices],
    }),
  };
}
