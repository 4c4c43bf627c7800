import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createSocketApi } from '../../shared/api-client';
import { uploadTokenHeader, type VaeApi } from '../../shared/contract';
import { createCore, type Core } from '../../src-main/core/core';
import { startBrowserServer, type BrowserServer } from '../../src-main/transports/browser-server';
import { writeTinyIdxSet } from '../fixtures/datasets/idx-fixtures';
import { writeImageFolder } from '../fixtures/datasets/image-fixtures';
import { damagedZip, zipDamages } from '../fixtures/datasets/zip-damage';

// Browser mode's upload endpoint over loopback, against a real core and data folder.

let dataDir: string;
let src: string;
let core: Core;
let server: BrowserServer;
let api: VaeApi;
let ws: WebSocket;
const maxUploadBytes = 64 * 1024;
// Short, so that a stalled upload is seen dropped within the test.
const uploadIdleMs = 2000;

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-upload-'));
  src = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-upload-src-'));
  // An upload an earlier launch left behind: the server drops it when it starts.
  fs.mkdirSync(path.join(dataDir, 'uploads', 'left-behind-0000000000'), { recursive: true });
  core = createCore({ dataDir, shell: 'browser', version: '9.9.9' });
  server = await startBrowserServer({ core, port: 0, rendererDir: null, maxUploadBytes, uploadIdleMs });
  ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  api = createSocketApi(ws);
});

afterEach(async () => {
  ws.close();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(src, { recursive: true, force: true });
});

const id = 'abcdefghijklmnop0123';
function put(
  relative: string,
  body: Uint8Array<ArrayBuffer> | string,
  headers: Record<string, string> = {},
  uploadId = id,
) {
  return fetch(`http://127.0.0.1:${server.port}/upload/${uploadId}/${relative}`, {
    method: 'PUT',
    body,
    headers: { [uploadTokenHeader]: server.token, ...headers },
  });
}
const leftovers = () => {
  const dir = path.join(dataDir, 'uploads');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

describe('browser-mode upload', () => {
  it('imports uploaded IDX files with a labels.txt, then removes the upload', async () => {
    expect(leftovers()).toEqual([]);
    const { files } = await writeTinyIdxSet(src);
    for (const file of files) {
      expect((await put(path.basename(file), new Uint8Array(fs.readFileSync(file)))).status).toBe(204);
    }
    expect((await put('labels.txt', 'cat\ndog\neel\n')).status).toBe(204);
    const result = await api.call['datasets:importUpload']({ kind: 'idx', name: 'uploaded', uploadId: id });
    expect(result.ok && result.value).toMatchObject({
      name: 'uploaded',
      trainCount: 5,
      testCount: 2,
      labels: ['cat', 'dog', 'eel'],
    });
    expect(leftovers()).toEqual([]);
  });

  it('refuses a wrong token and another site’s page, keeping nothing', async () => {
    expect((await put('a.png', 'x', { [uploadTokenHeader]: 'wrong' })).status).toBe(401);
    const foreign = await put('a.png', 'x', { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toBe('Origin http://evil.example may not use this server.\n');
    expect(leftovers()).toEqual([]);
  });

  it('refuses paths that would leave the upload', async () => {
    const response = await put('..%2F..%2Fescape.txt', 'x');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('cannot be a file of an upload');
    expect(fs.existsSync(path.join(dataDir, 'escape.txt'))).toBe(false);
  });

  it('refuses an upload over the cap with a sentence, and drops what came before', async () => {
    expect((await put('a/one.bin', new Uint8Array(40_000))).status).toBe(204);
    const response = await put('a/two.bin', new Uint8Array(40_000));
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(
      'The upload is larger than 64 KB; import a smaller set, or run `vae-studio datasets import` on the server.\n',
    );
    expect(leftovers()).toEqual([]);
  });

  it('says when the files are not a dataset, and leaves neither upload nor dataset', async () => {
    expect((await put('notes.txt', 'hello')).status).toBe(204);
    const result = await api.call['datasets:importUpload']({ kind: 'idx', name: 'junk', uploadId: id });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid_input');
      expect(result.error.message).toMatch(/^No file of train images/);
    }
    expect(leftovers()).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'datasets', 'junk'))).toBe(false);
  });

  it('imports a folder of class folders uploaded as one zip, then removes the upload', async () => {
    await writeImageFolder(path.join(src, 'digits'));
    const zip = zipSync(zipTree(src));
    expect((await put('digits.zip', new Uint8Array(zip))).status).toBe(204);
    const result = await api.call['datasets:importUpload']({
      kind: 'folder',
      name: 'zipped',
      uploadId: id,
      size: 8,
      channels: 1,
    });
    expect(result.ok && result.value).toMatchObject({ name: 'zipped', labels: ['2', '10'] });
    expect(result.ok && result.value.trainCount + result.value.testCount).toBe(7);
    expect(leftovers()).toEqual([]);
  });

  it('imports IDX files and a labels.txt uploaded as one zip', async () => {
    const { files } = await writeTinyIdxSet(src);
    fs.writeFileSync(path.join(src, 'labels.txt'), 'cat\ndog\neel\n');
    const zip = zipSync(zipTree(src));
    expect(files.length).toBe(4);
    expect((await put('mnist-like.zip', new Uint8Array(zip))).status).toBe(204);
    const result = await api.call['datasets:importUpload']({ kind: 'idx', name: 'zipped-idx', uploadId: id });
    expect(result.ok && result.value).toMatchObject({
      trainCount: 5,
      testCount: 2,
      labels: ['cat', 'dog', 'eel'],
    });
    expect(leftovers()).toEqual([]);
  });

  it('refuses a zip bomb with a sentence, keeping neither upload nor dataset', async () => {
    // 8 MB of zeros in an 8 KB zip whose directory admits 100 bytes.
    const zip = Buffer.from(zipSync({ 'c/a.png': new Uint8Array(8 << 20) }));
    const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(100, central + 24);
    expect((await put('bomb.zip', new Uint8Array(zip))).status).toBe(204);
    const result = await api.call['datasets:importUpload']({
      kind: 'folder',
      name: 'bomb',
      uploadId: id,
      size: 8,
      channels: 1,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid_input');
      expect(result.error.message).toBe(
        'bomb.zip is damaged: "c/a.png" unpacks to more than it declares; zip the dataset again and upload that.',
      );
    }
    expect(leftovers()).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'datasets', 'bomb'))).toBe(false);
  });

  it('names the zip or the upload, not the server folder, when the layout is wrong', async () => {
    // Images with no class folders around them.
    const zip = zipSync({ 'a.png': new Uint8Array(fs.readFileSync(await onePng())) });
    expect((await put('flat.zip', new Uint8Array(zip))).status).toBe(204);
    const result = await api.call['datasets:importUpload']({
      kind: 'folder',
      name: 'flat',
      uploadId: id,
      size: 8,
      channels: 1,
    });
    expect(!result.ok && result.error.message).toBe(
      "flat.zip has images but no label subfolders; put each label's images in a subfolder named after the label.",
    );
    expect(leftovers()).toEqual([]);
    // The same for loose files.
    expect((await put('a.png', new Uint8Array(fs.readFileSync(await onePng())))).status).toBe(204);
    const loose = await api.call['datasets:importUpload']({
      kind: 'folder',
      name: 'flat',
      uploadId: id,
      size: 8,
      channels: 1,
    });
    expect(!loose.ok && loose.error.message).toBe(
      "The uploaded folder has images but no label subfolders; put each label's images in a subfolder named after the label.",
    );
  });

  it('keeps nothing of a file whose upload is cut off mid-way, and a new upload then imports', async () => {
    const { files } = await writeTinyIdxSet(src);
    const [first, second] = files as [string, string];
    expect((await put(path.basename(first), new Uint8Array(fs.readFileSync(first)))).status).toBe(204);
    // The second file's request promises 1,000 bytes, sends 300, and the connection drops.
    const partial = path.join(dataDir, 'uploads', id, 'train-labels-idx1-ubyte.gz');
    const request = http.request({
      host: '127.0.0.1',
      port: server.port,
      method: 'PUT',
      path: `/upload/${id}/train-labels-idx1-ubyte.gz`,
      headers: { [uploadTokenHeader]: server.token, 'content-length': '1000' },
    });
    request.on('error', () => undefined);
    request.write(Buffer.alloc(300, 7));
    await vi.waitFor(() => expect(fs.existsSync(partial) && fs.statSync(partial).size).toBe(300), {
      timeout: 20_000,
    });
    request.destroy();
    // The server drops the whole upload, the first file with it.
    await vi.waitFor(() => expect(leftovers()).toEqual([]), { timeout: 20_000 });
    const cut = await api.call['datasets:importUpload']({ kind: 'idx', name: 'cut', uploadId: id });
    expect(!cut.ok && cut.error).toMatchObject({
      code: 'not_found',
      message: 'Nothing was uploaded for this import; choose the files again.',
    });
    expect(fs.existsSync(path.join(dataDir, 'datasets', 'cut'))).toBe(false);
    // Sending the files again, as a new upload, imports them.
    const retry = 'qrstuvwxyz0123456789';
    for (const file of files) {
      const response = await put(path.basename(file), new Uint8Array(fs.readFileSync(file)), {}, retry);
      expect(response.status).toBe(204);
    }
    expect(second).toContain('train-labels');
    const result = await api.call['datasets:importUpload']({ kind: 'idx', name: 'cut', uploadId: retry });
    expect(result.ok && result.value).toMatchObject({ name: 'cut', trainCount: 5, testCount: 2 });
    expect(leftovers()).toEqual([]);
  });

  it.each(zipDamages)(
    'refuses a zip of class folders whose last image is broken (%s) after the others were unpacked, keeping nothing; the same name then imports',
    async (damage, what) => {
      const files = await classFolderZip();
      const names = Object.keys(files);
      // Entries unpack in the zip's order: nineteen images are on disk when the last one fails.
      const broken = names.at(-1) as string;
      expect(names.length).toBe(20);
      const zip = damagedZip(zipSync(files), broken, damage);
      expect((await put('digits.zip', new Uint8Array(zip))).status).toBe(204);
      const arg = { kind: 'folder', name: 'digits', uploadId: id, size: 8, channels: 1 } as const;
      const result = await api.call['datasets:importUpload'](arg);
      expect(!result.ok && result.error).toEqual({
        code: 'invalid_input',
        message: `digits.zip is damaged: "${broken}" ${what}; zip the dataset again and upload that.`,
      });
      expectNothingOf('digits');
      // The good zip, under the same name and upload id, imports.
      expect((await put('digits.zip', new Uint8Array(zipSync(files)))).status).toBe(204);
      const retry = await api.call['datasets:importUpload'](arg);
      expect(retry.ok && retry.value).toMatchObject({ name: 'digits', labels: ['even', 'odd'] });
      expect(retry.ok && retry.value.trainCount + retry.value.testCount).toBe(20);
      expect(leftovers()).toEqual([]);
    },
  );

  it('refuses a zip of IDX files whose last file is broken after the others were unpacked, keeping nothing; the same name then imports', async () => {
    const { files } = await writeTinyIdxSet(src);
    const entries: Record<string, Uint8Array> = { 'labels.txt': new TextEncoder().encode('cat\ndog\neel\n') };
    for (const file of files) entries[path.basename(file)] = new Uint8Array(fs.readFileSync(file));
    const broken = Object.keys(entries).at(-1);
    expect(broken).toBe('t10k-labels-idx1-ubyte');
    expect(
      (await put('mnist.zip', damagedZip(zipSync(entries), 't10k-labels-idx1-ubyte', 'corrupt'))).status,
    ).toBe(204);
    const result = await api.call['datasets:importUpload']({ kind: 'idx', name: 'tiny-idx', uploadId: id });
    expect(!result.ok && result.error).toEqual({
      code: 'invalid_input',
      message:
        'mnist.zip is damaged: "t10k-labels-idx1-ubyte" does not inflate; zip the dataset again and upload that.',
    });
    expectNothingOf('tiny-idx');
    expect((await put('mnist.zip', new Uint8Array(zipSync(entries)))).status).toBe(204);
    const retry = await api.call['datasets:importUpload']({ kind: 'idx', name: 'tiny-idx', uploadId: id });
    expect(retry.ok && retry.value).toMatchObject({
      name: 'tiny-idx',
      trainCount: 5,
      testCount: 2,
      labels: ['cat', 'dog', 'eel'],
    });
    expect(leftovers()).toEqual([]);
  });

  it('refuses a name that cannot be used before unpacking the zip, keeping nothing', async () => {
    // Damaged, so that unpacking it first would answer "damaged" instead.
    const zip = damagedZip(zipSync(await classFolderZip()), 'digits/odd/19.png', 'corrupt');
    fs.mkdirSync(path.join(dataDir, 'datasets', 'Taken'), { recursive: true });
    const refusals = {
      mnist: 'The name "mnist" is reserved for the bundled MNIST set; choose another name.',
      taken: 'A dataset named "Taken" already exists; choose another name or delete it first.',
    };
    for (const [name, message] of Object.entries(refusals)) {
      expect((await put('digits.zip', new Uint8Array(zip))).status).toBe(204);
      const arg = { kind: 'folder', name, uploadId: id, size: 8, channels: 1 } as const;
      const result = await api.call['datasets:importUpload'](arg);
      expect(!result.ok && result.error).toEqual({ code: 'conflict', message });
      expect(leftovers()).toEqual([]);
    }
  });

  it('drops an upload whose connection stalls mid-file, closing the connection', async () => {
    // The network goes away without closing the connection: no more bytes, no reset.
    const closed = await new Promise<string>((resolve) => {
      const request = http.request({
        host: '127.0.0.1',
        port: server.port,
        method: 'PUT',
        path: `/upload/${id}/big.zip`,
        headers: { [uploadTokenHeader]: server.token, 'content-length': '10000' },
      });
      request.on('response', (response) => resolve(`answered ${response.statusCode}`));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      request.write(Buffer.alloc(300, 7));
    });
    // The page's request fails as a broken connection does ("The upload broke off at big.zip…").
    expect(closed).toBe('ECONNRESET');
    await vi.waitFor(() => expect(leftovers()).toEqual([]), { timeout: 20_000 });
  });

  it('drops an upload on DELETE', async () => {
    expect((await put('x/y.png', 'x')).status).toBe(204);
    const response = await fetch(`http://127.0.0.1:${server.port}/upload/${id}`, {
      method: 'DELETE',
      headers: { [uploadTokenHeader]: server.token },
    });
    expect(response.status).toBe(204);
    expect(leftovers()).toEqual([]);
  });
});

/** Nothing of a refused import: no upload folder (nor its unpacked files), no dataset folder, no dataset row. */
function expectNothingOf(name: string): void {
  expect(leftovers()).toEqual([]);
  expect(fs.existsSync(path.join(dataDir, 'datasets', name))).toBe(false);
  expect(() => core.store.getDataset(name)).toThrow(`There is no dataset named "${name}".`);
}

/** Twenty 8×8 grey PNGs in two class folders, as a zip of the folder `digits` would hold them. */
async function classFolderZip(): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (let i = 0; i < 20; i++) {
    const png = await sharp(Buffer.alloc(64, i * 12), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    out[`digits/${i % 2 ? 'odd' : 'even'}/${String(i).padStart(2, '0')}.png`] = new Uint8Array(png);
  }
  return out;
}

/** A folder's files as fflate's zip input, paths relative to `root`. */
function zipTree(root: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const relative of fs.readdirSync(root, { recursive: true }) as string[]) {
    const file = path.join(root, relative);
    if (fs.statSync(file).isFile())
      out[relative.split(path.sep).join('/')] = new Uint8Array(fs.readFileSync(file));
  }
  return out;
}

/** One small PNG (from the image fixtures), its path. */
async function onePng(): Promise<string> {
  const folder = path.join(src, 'one');
  await writeImageFolder(folder);
  return path.join(folder, '2', 'a.png');
}
