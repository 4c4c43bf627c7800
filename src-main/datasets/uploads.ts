import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatasetError } from './errors';
import { formatBytes } from './limits';

/*
 * Browser-mode uploads: the page sends each file of a dropped folder (or the four
 * IDX files) to `<dataDir>/uploads/<id>/<relative path>`, then asks the core to
 * import that folder with the same code and checks as a path import. The folder is
 * removed after the import, whether it worked or not, on any failed file, and at
 * the next launch (an upload abandoned by a closed tab).
 */

/** Largest upload, all files together: the raw files of a 2 GB dataset are smaller than that. */
export const MAX_UPLOAD_BYTES = 2 ** 31;
/**
 * An upload request that brings no byte for this long is dropped: the network went away
 * without closing the connection (a laptop asleep, Wi-Fi gone). Time between bytes, not
 * the whole request's: a 2 GB zip over a slow link may take an hour, and may.
 */
export const UPLOAD_IDLE_MS = 60_000;
/** Most files in one upload (a folder of images). */
export const MAX_UPLOAD_FILES = 200_000;
const idPattern = /^[A-Za-z0-9_-]{16,64}$/;

/** Folder holding the uploads under way. */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/** True for an id the page may pick for an upload (random, URL-safe). */
export function isUploadId(id: string): boolean {
  return idPattern.test(id);
}

/** The folder of one upload. @throws {DatasetError} `invalid_input` for an id that could name another folder. */
export function uploadDir(dataDir: string, id: string): string {
  if (!isUploadId(id)) {
    throw new DatasetError('invalid_input', 'An upload id is 16–64 letters, digits, "-" or "_".');
  }
  return join(uploadsDir(dataDir), id);
}

/**
 * The path segments of a file's place in an upload, or null when it could leave the
 * upload's folder or is not a plain relative name (`a/b.png`, never `../x`, `/x`, `C:x`).
 */
export function uploadSegments(relative: string): string[] | null {
  if (relative.length === 0 || relative.length > 1024) return null;
  const segments = relative.split('/');
  if (segments.length > 4) return null;
  const ok = segments.every(
    (s) =>
      s.length > 0 && s.length <= 255 && s !== '.' && s !== '..' && !/[\\:\0]/.test(s) && !/^\s|\s$/.test(s),
  );
  return ok ? segments : null;
}

/** Bytes and files received so far per upload, to hold every upload to the caps. */
const received = new Map<string, { bytes: number; files: number }>();

/** Removes an upload's folder and forgets it. */
export async function discardUpload(dataDir: string, id: string): Promise<void> {
  received.delete(id);
  await rm(uploadDir(dataDir, id), { recursive: true, force: true });
}

/** Removes every upload folder (at launch: any left belongs to a page that is gone). */
export async function discardAllUploads(dataDir: string): Promise<void> {
  received.clear();
  await rm(uploadsDir(dataDir), { recursive: true, force: true });
}

/**
 * Streams one file of an upload to its place. Over the caps, on a broken stream or a
 * bad path, the whole upload is discarded and the error says why.
 *
 * @throws {DatasetError} `invalid_input` for a bad id or path, `payload_too_large` over the caps,
 *   `io_error` when the stream breaks, no byte came for `idleMs`, or the disk refuses.
 */
export async function receiveUploadFile(args: {
  dataDir: string;
  id: string;
  relative: string;
  body: Readable;
  /** The declared length, when the request has one: refused at once when over the cap. */
  length?: number;
  maxBytes?: number;
  /** {@link UPLOAD_IDLE_MS} by default. */
  idleMs?: number;
}): Promise<void> {
  const dir = uploadDir(args.dataDir, args.id);
  const segments = uploadSegments(args.relative);
  if (segments === null) {
    throw new DatasetError(
      'invalid_input',
      `"${args.relative.slice(0, 200)}" cannot be a file of an upload; send paths like folder/class/image.png.`,
    );
  }
  const maxBytes = args.maxBytes ?? MAX_UPLOAD_BYTES;
  const tally = received.get(args.id) ?? { bytes: 0, files: 0 };
  received.set(args.id, tally);
  const tooLarge = (): DatasetError =>
    new DatasetError(
      'payload_too_large',
      `The upload is larger than ${formatBytes(maxBytes)}; import a smaller set, or run \`vae-studio datasets import\` on the server.`,
    );
  try {
    tally.files += 1;
    if (tally.files > MAX_UPLOAD_FILES) {
      throw new DatasetError(
        'payload_too_large',
        `An upload holds at most ${MAX_UPLOAD_FILES.toLocaleString('en')} files; import a smaller set.`,
      );
    }
    if (args.length !== undefined && tally.bytes + args.length > maxBytes) throw tooLarge();
    const target = join(dir, ...segments);
    await mkdir(dirname(target), { recursive: true });
    const existing = await stat(target).catch(() => null);
    if (existing) {
      throw new DatasetError('invalid_input', `The upload has ${args.relative} twice; send each file once.`);
    }
    let over = false;
    const idleMs = args.idleMs ?? UPLOAD_IDLE_MS;
    // Destroying the request closes its connection: the page hears that the upload broke off.
    const stalled = new DatasetError(
      'io_error',
      `The upload of ${args.relative} stalled (no data for ${idleMs >= 1000 ? `${Math.round(idleMs / 1000)} s` : `${idleMs} ms`}); nothing was kept. Check the connection and send it again.`,
    );
    let idle = false;
    const onIdle = () => {
      idle = true;
      args.body.destroy(stalled);
    };
    let timer = setTimeout(onIdle, idleMs);
    args.body.on('data', (chunk: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleMs);
      tally.bytes += chunk.length;
      if (tally.bytes > maxBytes && !over) {
        over = true;
        args.body.destroy(tooLarge());
      }
    });
    try {
      await pipeline(args.body, createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      if (over) throw tooLarge();
      if (idle) throw stalled;
      throw new DatasetError(
        'io_error',
        `The upload of ${args.relative} broke off before its end; nothing was kept, send it again.`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  } catch (error) {
    // Nothing half-received is kept: the whole upload goes.
    await discardUpload(args.dataDir, args.id).catch(() => undefined);
    throw error;
  }
}
