import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendInfo } from '../../shared/contract';
import { packageDir, probeBackends } from './backend-probe';

/**
 * Dawn (the npm package `webgpu`, a Node-API addon) and the adapters it finds,
 * without tfjs: both the training worker and the main process (app:info,
 * `vae-studio backends`) use it.
 */

/** The subset of Dawn's module we use; its types come from the DOM lib, absent in Node. */
export interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** `navigator.gpu` as Dawn gives it. */
export interface DawnGpu {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
    forceFallbackAdapter?: boolean;
  }): Promise<DawnAdapter | null>;
}

export interface DawnAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

export interface DawnAdapter {
  info: DawnAdapterInfo;
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: {
    requiredFeatures?: string[];
    requiredLimits?: Record<string, number>;
  }): Promise<DawnDevice>;
}

export interface DawnDevice {
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
  addEventListener?(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
}

/** One adapter Dawn offered, as we show it. */
export interface AdapterSummary {
  /** e.g. "Apple M2 (Metal)", "SwiftShader driver 5.0.0 (google swiftshader)". */
  name: string;
  /** A software rasteriser or a fallback adapter: never chosen by `auto`. */
  software: boolean;
}

/** Adapters no one should call their GPU: CPU rasterisers that implement Vulkan, D3D or Metal. */
const softwareNames = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|microsoft basic render/i;

/** Whether an adapter is a software one (SwiftShader, llvmpipe, lavapipe, WARP, …) or a fallback adapter. */
export function isSoftwareAdapter(info: DawnAdapterInfo): boolean {
  if (info.isFallbackAdapter === true) return true;
  return softwareNames.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

/** A readable name for an adapter. */
export function adapterName(info: DawnAdapterInfo): string {
  const main = info.description || info.device || info.vendor || 'unknown adapter';
  const extra = [info.vendor, info.architecture].filter((part) => part && !main.includes(part)).join(' ');
  return extra ? `${main} (${extra})` : main;
}

/** Path of this platform's dawn.node; VAE_STUDIO_DAWN_PATH overrides it (tests of a broken binary). */
export function dawnBinaryPath(): string | null {
  const override = process.env['VAE_STUDIO_DAWN_PATH'];
  if (override) return override;
  const dir = packageDir('webgpu');
  if (dir === null) return null;
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  // Packaged apps carry dawn.node unpacked beside the asar archive: a native
  // addon cannot be loaded from inside one.
  const file = path
    .join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node')
    .replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  return fs.existsSync(file) ? file : null;
}

let loaded: { ok: true; dawn: DawnModule; gpu: DawnGpu } | { ok: false; reason: string } | undefined;

/** Loads Dawn once per thread and creates its GPU object; a reason instead when it cannot. */
export function loadDawn(): { ok: true; dawn: DawnModule; gpu: DawnGpu } | { ok: false; reason: string } {
  if (loaded) return loaded;
  const file = dawnBinaryPath();
  if (file === null) {
    loaded = {
      ok: false,
      reason: `the webgpu package has no Dawn binary for ${process.platform}-${process.arch}`,
    };
    return loaded;
  }
  try {
    // A guarded require of the addon itself (the package's entry is an ES
    // module that only picks this same file): a binary that fails to load
    // must leave every other backend untouched.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dawn = require(file) as DawnModule;
    if (typeof dawn.create !== 'function') throw new Error('it exports no create()');
    loaded = { ok: true, dawn, gpu: dawn.create([]) };
  } catch (error) {
    loaded = {
      ok: false,
      reason: `Dawn (${path.basename(file)}) failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
  return loaded;
}

/**
 * The adapters Dawn offers, hardware first: the high-performance one, the
 * low-power one and the fallback one, without duplicates.
 */
export async function listAdapters(
  gpu: DawnGpu,
): Promise<Array<{ adapter: DawnAdapter; summary: AdapterSummary }>> {
  const found: Array<{ adapter: DawnAdapter; summary: AdapterSummary }> = [];
  const options = [
    { powerPreference: 'high-performance' as const },
    { powerPreference: 'low-power' as const },
    { forceFallbackAdapter: true },
  ];
  for (const option of options) {
    let adapter: DawnAdapter | null;
    try {
      adapter = await gpu.requestAdapter(option);
    } catch {
      adapter = null;
    }
    if (!adapter) continue;
    const summary = { name: adapterName(adapter.info), software: isSoftwareAdapter(adapter.info) };
    if (!found.some((f) => f.summary.name === summary.name)) found.push({ adapter, summary });
  }
  return found.sort((a, b) => Number(a.summary.software) - Number(b.summary.software));
}

/** What the webgpu backend would run on, for listings: loads Dawn but no tfjs. */
export interface WebgpuStatus {
  available: boolean;
  detail: string;
  adapters: AdapterSummary[];
}

let status: Promise<WebgpuStatus> | undefined;

/** The webgpu row of a backend listing, found once per process. */
export function probeWebgpu(): Promise<WebgpuStatus> {
  status ??= (async (): Promise<WebgpuStatus> => {
    const dawn = loadDawn();
    if (!dawn.ok)
      return {
        available: false,
        detail: `${dawn.reason[0]?.toUpperCase() ?? ''}${dawn.reason.slice(1)}.`,
        adapters: [],
      };
    const adapters = (await listAdapters(dawn.gpu)).map((a) => a.summary);
    const hardware = adapters.find((a) => !a.software);
    const software = adapters.find((a) => a.software);
    if (hardware) return { available: true, detail: hardware.name, adapters };
    if (software)
      return {
        available: true,
        detail: `${software.name} (software, used only when chosen)`,
        adapters,
      };
    return {
      available: false,
      detail: 'Dawn found no GPU adapter (no GPU, or no Vulkan/Metal/Direct3D 12 driver for it).',
      adapters,
    };
  })();
  return status;
}

/**
 * Every backend, best first, with what it runs on or why it is unavailable:
 * {@link probeBackends} plus the webgpu row, which asks Dawn for its adapters.
 */
export async function listBackends(): Promise<BackendInfo[]> {
  const [tensorflow, ...rest] = probeBackends();
  const webgpu = await probeWebgpu();
  const software = webgpu.available && !webgpu.adapters.some((a) => !a.software);
  const row: BackendInfo = {
    name: 'webgpu',
    available: webgpu.available,
    detail: webgpu.detail,
    ...(software ? { software } : {}),
  };
  return tensorflow ? [tensorflow, row, ...rest] : [row, ...rest];
}
