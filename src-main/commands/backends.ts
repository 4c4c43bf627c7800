import type { BackendInfo } from '../../shared/contract';
import { listBackends, probeWebgpu } from '../training/webgpu-probe';
import { type CliIo, parse, UsageError } from './common';

/** One line per backend: "webgpu — SwiftShader … (software, used only when chosen)". */
export function backendLines(backends: readonly BackendInfo[]): string {
  return (
    backends
      .map((b) => `${b.name.padEnd(10)} ${b.available ? 'available  ' : 'unavailable'}  ${b.detail}`)
      .join('\n') + '\n'
  );
}

/** `vae-studio backends`: every training backend, what it runs on, or why it cannot. */
export async function backendsCommand(args: string[], io: CliIo, help: string): Promise<number> {
  const { values } = parse({
    args,
    strict: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  const backends = await listBackends();
  if (values.json) {
    const webgpu = await probeWebgpu();
    io.stdout(`${JSON.stringify({ backends, adapters: webgpu.adapters })}\n`);
  } else io.stdout(backendLines(backends));
  return 0;
}

/**
 * `--backend webgpu` where Dawn offers no adapter at all: a usage error
 * (exit 2) naming what Dawn saw and the backends that would work, before a
 * run is created. A software adapter is enough when chosen explicitly.
 */
export async function checkWebgpuChoice(): Promise<void> {
  const webgpu = await probeWebgpu();
  if (webgpu.available) return;
  const others = (await listBackends()).filter((b) => b.available).map((b) => b.name);
  throw new UsageError(
    `--backend webgpu cannot run here. ${webgpu.detail} Adapters Dawn saw: ` +
      `${webgpu.adapters.length > 0 ? webgpu.adapters.map((a) => a.name).join(', ') : 'none'}. ` +
      `Available backends: ${others.join(', ')} (or --backend auto).`,
  );
}
