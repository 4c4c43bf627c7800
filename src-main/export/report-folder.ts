import { lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { StoreError } from '../store';

/**
 * A report folder written all or nothing. Files are first written into a fresh
 * staging folder inside the target (same file system, so moving them is a
 * rename, which cannot run out of space), then renamed into place once every
 * one of them is complete. Nothing is written through a symbolic link: a link
 * where a file or folder of the report goes is refused, never followed or replaced.
 */

/** Prefix of the staging folder; hidden so a file manager does not show it mid-export. */
export const stagingPrefix = '.vae-studio-export-';
/** How many entries a "not empty" message names. */
const namedEntries = 3;

/** Why a file-system call failed, in words, with the Node code for searching. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file is in the way',
    EISDIR: 'a folder is in the way of a file',
    ENAMETOOLONG: 'the path is too long',
  };
  return code ? `${reasons[code] ?? 'the file system refused'} (${code})` : String(error);
}

/** Failures of the machine rather than of the folder chosen: these stay `io_error` (exit 1 on the command line). */
const machineFaults = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM']);

/**
 * A report folder that cannot be created or written into: the user's choice
 * of folder is at fault (permission, read-only, a file in the path), so it is
 * `invalid_input` with what to do, unless the machine itself failed.
 */
function unusableFolder(what: string, dir: string, error: unknown): StoreError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  return machineFaults.has(code)
    ? new StoreError('io_error', `Could not ${what} the report folder ${dir}: ${fsReason(error)}.`, {
        cause: error,
      })
    : new StoreError(
        'invalid_input',
        `Could not ${what} the report folder ${dir}: ${fsReason(error)}; choose a folder you can write to.`,
        { cause: error },
      );
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function linkRefusal(args: { path: string; dir: string; what: string }): Promise<StoreError> {
  let target = '';
  try {
    target = ` (it points to ${await readlink(args.path)})`;
  } catch {
    // The link vanished in between: the message still names it.
  }
  const name = relative(args.dir, args.path) || args.path;
  return new StoreError(
    'invalid_input',
    `${args.what === 'folder' ? `The report folder ${args.path}` : `${name} in the report folder ${args.dir}`} is a symbolic link${target}; VAE Studio never writes through links. Remove the link or choose another folder.`,
  );
}

/** Options of {@link writeReportFolder}. */
export interface ReportFolderOptions {
  /** Absolute path of the report folder; created when missing. */
  dir: string;
  /** Replace files of the same names in a folder that is not empty (other files are left alone). */
  overwrite: boolean;
}

/** Writes one file of the report (relative path, `/`-separated) into the staging folder. */
export type WriteReportFile = (name: string, content: string | Uint8Array) => Promise<void>;

/**
 * Checks the target, lets `body` write every file through `write`, then moves
 * them into place. On any failure the staging folder, and the target when this
 * call created it, are removed: a failed export leaves nothing half-written.
 *
 * @returns the files written, relative to `dir`, in writing order.
 * @throws {StoreError} `invalid_input` for a symbolic link or a file in the way,
 *   `conflict` for a folder that is not empty without `overwrite`, `io_error`
 *   when the disk refuses.
 */
export async function writeReportFolder(
  options: ReportFolderOptions,
  body: (write: WriteReportFile) => Promise<void>,
): Promise<string[]> {
  const { dir, overwrite } = options;
  const created = await prepareTarget(dir, overwrite);
  let staging: string;
  try {
    staging = await mkdtemp(join(dir, stagingPrefix));
  } catch (error) {
    await removeCreated(dir, created);
    throw unusableFolder('write into', dir, error);
  }
  const files: string[] = [];
  try {
    await body(async (name, content) => {
      const path = join(staging, ...name.split('/'));
      try {
        await mkdir(dirname(path), { recursive: true });
        // `wx`: the staging folder is new, so an existing entry here is never ours to follow.
        await writeFile(path, content, { flag: 'wx' });
      } catch (error) {
        throw new StoreError(
          'io_error',
          `Could not write ${name} into the report folder ${dir}: ${fsReason(error)}. Nothing was left in the folder.`,
          { cause: error },
        );
      }
      files.push(name);
    });
    await checkDestinations({ dir, files, overwrite });
    await moveIntoPlace({ dir, staging, files, overwrite });
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await removeCreated(dir, created);
    throw error;
  }
  await rm(staging, { recursive: true, force: true });
  return files;
}

/**
 * Refuses a target that is a link, a file, or not empty (without `overwrite`);
 * creates it when missing.
 *
 * @returns the first folder this call created, if any, to remove on failure.
 */
async function prepareTarget(dir: string, overwrite: boolean): Promise<string | undefined> {
  let stats;
  try {
    stats = await lstatOrNull(dir);
  } catch (error) {
    throw unusableFolder('open', dir, error);
  }
  if (stats?.isSymbolicLink()) throw await linkRefusal({ path: dir, dir, what: 'folder' });
  if (stats && !stats.isDirectory()) {
    throw new StoreError('invalid_input', `${dir} is a file, not a folder; choose a folder for the report.`);
  }
  if (stats) {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch (error) {
      throw new StoreError('io_error', `Could not read the report folder ${dir}: ${fsReason(error)}.`, {
        cause: error,
      });
    }
    if (entries.length > 0 && !overwrite) {
      const some = entries.slice(0, namedEntries).join(', ') + (entries.length > namedEntries ? ', …' : '');
      throw new StoreError(
        'conflict',
        `The report folder ${dir} is not empty (it holds ${some}); choose a new or empty folder, or allow replacing an earlier report ("Replace an earlier report" in the app, --overwrite on the command line).`,
      );
    }
    return undefined;
  }
  try {
    return await mkdir(dir, { recursive: true });
  } catch (error) {
    throw unusableFolder('create', dir, error);
  }
}

/** Every folder on the way to each file must be a real folder (or missing), every file a regular file (or missing). */
async function checkDestinations(args: { dir: string; files: string[]; overwrite: boolean }): Promise<void> {
  const { dir, files, overwrite } = args;
  const checked = new Set<string>();
  for (const name of files) {
    const parts = name.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const isFile = i === parts.length;
      const path = join(dir, ...parts.slice(0, i));
      if (checked.has(path)) continue;
      checked.add(path);
      let stats;
      try {
        stats = await lstatOrNull(path);
      } catch (error) {
        throw new StoreError('io_error', `Could not check ${path}: ${fsReason(error)}.`, { cause: error });
      }
      if (!stats) continue;
      if (stats.isSymbolicLink()) throw await linkRefusal({ path, dir, what: 'entry' });
      const rel = parts.slice(0, i).join('/');
      if (isFile && !stats.isFile()) {
        throw new StoreError(
          'invalid_input',
          `${rel} in the report folder ${dir} is not a regular file; remove it or choose another folder.`,
        );
      }
      if (!isFile && !stats.isDirectory()) {
        throw new StoreError(
          'invalid_input',
          `${rel} in the report folder ${dir} is a file where the report needs a folder; remove it or choose another folder.`,
        );
      }
      if (isFile && !overwrite) {
        throw new StoreError(
          'conflict',
          `${rel} appeared in the report folder ${dir} during the export; choose a new or empty folder, or allow overwriting (--overwrite).`,
        );
      }
    }
  }
}

async function moveIntoPlace(args: {
  dir: string;
  staging: string;
  files: string[];
  overwrite: boolean;
}): Promise<void> {
  const { dir, staging, files } = args;
  const moved: string[] = [];
  const madeFolders: string[] = [];
  try {
    for (const name of files) {
      await moveOne({ dir, staging, name, madeFolders });
      moved.push(join(dir, ...name.split('/')));
    }
  } catch (error) {
    // A new folder goes back to empty; with overwrite, replaced files cannot come back, so the new ones stay.
    if (!args.overwrite) {
      for (const path of moved) await rm(path, { force: true }).catch(() => undefined);
      for (const folder of madeFolders.reverse()) await rmdir(folder).catch(() => undefined);
    }
    throw error;
  }
}

async function moveOne(args: {
  dir: string;
  staging: string;
  name: string;
  madeFolders: string[];
}): Promise<void> {
  const { dir, staging, name } = args;
  const parts = name.split('/');
  try {
    // Folders one level at a time: `recursive` would create through a link planted since the check.
    for (let i = 1; i < parts.length; i++) {
      const folder = join(dir, ...parts.slice(0, i));
      const stats = await lstatOrNull(folder);
      if (stats?.isSymbolicLink()) throw await linkRefusal({ path: folder, dir, what: 'entry' });
      if (!stats) {
        await mkdir(folder);
        args.madeFolders.push(folder);
      }
    }
    const to = join(dir, ...parts);
    const existing = await lstatOrNull(to);
    if (existing?.isSymbolicLink()) throw await linkRefusal({ path: to, dir, what: 'entry' });
    // rename() replaces the entry itself and never writes through it.
    await rename(join(staging, ...parts), to);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      'io_error',
      `Could not move ${name} into the report folder ${dir}: ${fsReason(error)}.`,
      { cause: error },
    );
  }
}

/** Removes the folders this export created, deepest first, only while they are empty. */
async function removeCreated(dir: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  let folder = dir;
  for (;;) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
    if (folder === created || !folder.startsWith(created + sep)) return;
    folder = dirname(folder);
  }
}
