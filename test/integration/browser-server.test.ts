import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSocketApi } from '../../shared/api-client';
import type { AppInfo } from '../../shared/contract';
import { decodeWire } from '../../shared/wire';
import { createCore, type Core } from '../../src-main/core/core';
import { startBrowserServer, type BrowserServer } from '../../src-main/transports/browser-server';

let dataDir: string;
let rendererDir: string;
let core: Core;
let server: BrowserServer;

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-ws-'));
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-renderer-'));
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>VAE Studio</title>');
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dataDir, 'secret.txt'), 'do not serve');
  core = createCore({ dataDir, shell: 'browser', version: '9.9.9' });
  server = await startBrowserServer({ core, port: 0, rendererDir, maxFrameBytes: 1024 });
});

afterEach(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(rendererDir, { recursive: true, force: true });
});

const base = () => `http://127.0.0.1:${server.port}`;
const apiUrl = (token: string | null) =>
  `ws://127.0.0.1:${server.port}/api${token === null ? '' : `?token=${token}`}`;

/** Resolves the HTTP status the handshake was refused with, or 101 when it opened. */
function handshake(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

async function open(headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(apiUrl(server.token), { headers });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function nextFrame(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer) => resolve(decodeWire(data.toString('utf8')))),
  );
}

describe('browser mode server', () => {
  it('binds to loopback and prints a URL with the token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers app:info through the typed client', async () => {
    const api = createSocketApi(await open());
    const result = await api.call['app:info']({});
    expect(result.ok).toBe(true);
    const info = (result as { value: AppInfo }).value;
    expect(info.version).toBe('9.9.9');
    expect(info.dataDir).toBe(dataDir);
    expect(info.shell).toBe('browser');
    expect(info.backends.map((b) => b.name)).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(info.backends.find((b) => b.name === 'cpu')?.available).toBe(true);
    api.close();
  });

  it('refuses a connection without the token, or with a wrong one', async () => {
    expect(await handshake(apiUrl(null))).toBe(401);
    expect(await handshake(apiUrl('wrong'))).toBe(401);
    expect(await handshake(apiUrl(`${server.token}x`))).toBe(401);
    expect(await handshake(apiUrl(server.token))).toBe(101);
  });

  it('refuses a foreign Origin even with the token, and accepts its own', async () => {
    expect(await handshake(apiUrl(server.token), { Origin: 'http://evil.example' })).toBe(403);
    expect(await handshake(apiUrl(server.token), { Origin: `http://evil.example:${server.port}` })).toBe(403);
    expect(await handshake(apiUrl(server.token), { Origin: base() })).toBe(101);
    expect(await handshake(apiUrl(server.token), { Origin: `http://localhost:${server.port}` })).toBe(101);
  });

  it('answers malformed frames, unknown commands and bad arguments with codes, and stays up', async () => {
    const ws = await open();
    const cases: [string, string][] = [
      ['{"id": 1, "command": ', 'malformed_message'],
      ['[1,2,3]', 'malformed_message'],
      ['{"command": "app:info", "arg": {}}', 'malformed_message'],
      ['{"id": 2, "command": "runs:explode", "arg": {}}', 'unknown_command'],
      ['{"id": 3, "command": "app:info", "arg": {"x": 1}}', 'invalid_argument'],
      ['{"id": 4, "command": "app:info"}', 'invalid_argument'],
    ];
    for (const [text, code] of cases) {
      const reply = nextFrame(ws);
      ws.send(text);
      expect(await reply).toMatchObject({ result: { ok: false, error: { code } } });
    }
    const binary = nextFrame(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await binary).toMatchObject({
      id: null,
      result: { ok: false, error: { code: 'malformed_message' } },
    });
    const good = nextFrame(ws);
    ws.send('{"id": 5, "command": "app:info", "arg": {}}');
    expect(await good).toMatchObject({ id: 5, result: { ok: true } });
    ws.close();
  });

  it('answers an oversized frame with payload_too_large, and survives a huge one', async () => {
    const ws = await open();
    const reply = nextFrame(ws);
    ws.send(JSON.stringify({ id: 1, command: 'app:info', arg: { pad: 'x'.repeat(2000) } }));
    expect(await reply).toEqual({
      id: null,
      result: {
        ok: false,
        error: { code: 'payload_too_large', message: 'A request may be at most 1024 bytes.' },
      },
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(10_000));
    expect(await closed).toBe(1009);
    const again = createSocketApi(await open());
    expect((await again.call['app:info']({})).ok).toBe(true);
    again.close();
  });

  it('pushes events to connected clients', async () => {
    const api = createSocketApi(await open());
    await api.call['app:info']({});
    const received = new Promise((resolve) => api.on('app:notice', resolve));
    core.events.emit('app:notice', { level: 'warning', message: 'Database moved aside.' });
    expect(await received).toEqual({ level: 'warning', message: 'Database moved aside.' });
    api.close();
  });

  it('serves the renderer with a CSP, falls back to index.html for routes, and never leaves its folder', async () => {
    const index = await fetch(`${base()}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await index.text()).toContain('VAE Studio');
    const script = await fetch(`${base()}/assets/app.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    // Workers run under the policy delivered with their own script.
    expect(script.headers.get('content-security-policy')).toBe(index.headers.get('content-security-policy'));
    expect((await fetch(`${base()}/runs/abc`)).status).toBe(200);
    expect((await fetch(`${base()}/assets/missing.js`)).status).toBe(404);
    for (const attempt of ['/..%2fsecret.txt', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fsecret.txt']) {
      const res = await fetch(`${base()}${attempt}`);
      expect(await res.text()).not.toContain('do not serve');
      expect(await res.text().catch(() => '')).not.toContain('root:');
    }
    expect((await fetch(`${base()}/`, { method: 'POST' })).status).toBe(405);
  });
});
