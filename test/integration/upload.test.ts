import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSocketApi } from '../../shared/api-client';
import { uploadTokenHeader, type VaeApi } from '../../shared/contract';
import { createCore, type Core } from '../../src-main/core/core';
import { startBrowserServer, type BrowserServer } from '../../src-main/transports/browser-server';
import { writeTinyIdxSet } from '../fixtures/datasets/idx-fixtures';

// Browser mode's upload endpoint over loopback, against a real core and data folder.

let dataDir: string;
let src: string;
let core: Core;
let server: BrowserServer;
let api: VaeApi;
let ws: WebSocket;
const maxUploadBytes = 4096;

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-upload-'));
  src = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-upload-src-'));
  // An upload an earlier launch left behind: the server drops it when it starts.
  fs.mkdirSync(path.join(dataDir, 'uploads', 'left-behind-0000000000'), { recursive: true });
  core = createCore({ dataDir, shell: 'browser', version: '9.9.9' });
  server = await startBrowserServer({ core, port: 0, rendererDir: null, maxUploadBytes });
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
function put(relative: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${server.port}/upload/${id}/${relative}`, {
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
    expect((await put('a/one.bin', new Uint8Array(3000))).status).toBe(204);
    const response = await put('a/two.bin', new Uint8Array(3000));
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(
      'The upload is larger than 4 KB; import a smaller set, or run `vae-studio datasets import` on the server.\n',
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
