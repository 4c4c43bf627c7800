import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSocketApi } from '../../shared/api-client';
import { firstParam, type AppInfo } from '../../shared/contract';
import { decodeWire } from '../../shared/wire';
import { createCore, type Core } from '../../src-main/core/core';
import { startBrowserServer, type BrowserServer } from '../../src-main/transports/browser-server';
import { headerOf, rawRequest } from './raw-http';

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
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app-BairfB91.js'), 'console.log(2)');
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

const upgradeHeaders =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

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
    expect(info.backends.map((b) => b.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(info.backends.find((b) => b.name === 'cpu')?.available).toBe(true);
    api.close();
  });

  it('answers a first request carried in the URL as the connection opens, checked as any frame', async () => {
    /** Opens with `first` in the URL; resolves the frames received before the given number arrive. */
    const framesOf = async (first: string, count: number) => {
      const ws = new WebSocket(`${apiUrl(server.token)}&${firstParam}=${encodeURIComponent(first)}`);
      const frames: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (data: Buffer) => {
          frames.push(decodeWire(data.toString('utf8')));
          if (frames.length === count) resolve();
        });
        ws.once('error', reject);
      });
      return { ws, frames };
    };
    const asked = await framesOf('{"id":0,"command":"runs:list","arg":{"limit":5}}', 1);
    expect(asked.frames).toEqual([{ id: 0, result: { ok: true, value: [] } }]);
    asked.ws.close();
    // The typed client hands that answer over by its id; the connection goes on as usual.
    const ws = new WebSocket(
      `${apiUrl(server.token)}&${firstParam}=${encodeURIComponent('{"id":0,"command":"runs:list","arg":{}}')}`,
    );
    // Listening from the start, as the page does: the answer may come right behind 'open'.
    const api = createSocketApi(ws);
    const answer = api.answerTo(0);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(await answer).toEqual({ ok: true, value: [] });
    expect((await api.call['app:info']({})).ok).toBe(true);
    api.close();
    expect(await api.answerTo(5)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    // The same answers as a frame: no shortcut past the checks.
    const cases: [string, unknown][] = [
      ['{"id": 0, "command": ', { id: null, result: { ok: false, error: { code: 'malformed_message' } } }],
      [
        '{"id":7,"command":"runs:nope","arg":{}}',
        { id: 7, result: { ok: false, error: { code: 'unknown_command' } } },
      ],
      [
        '{"id":8,"command":"runs:list","arg":{"limit":-1}}',
        { id: 8, result: { ok: false, error: { code: 'invalid_argument' } } },
      ],
      [
        `{"id":9,"command":"runs:list","arg":{"text":"${'x'.repeat(1100)}"}}`,
        { id: null, result: { ok: false, error: { code: 'payload_too_large' } } },
      ],
    ];
    for (const [first, expected] of cases) {
      const { ws, frames } = await framesOf(first, 1);
      expect(frames[0]).toMatchObject(expected as object);
      ws.close();
    }
    // Without the token, the URL's request is never answered: the connection is refused.
    expect(
      await handshake(
        `${apiUrl(null)}?${firstParam}=${encodeURIComponent('{"id":0,"command":"app:info","arg":{}}')}`,
      ),
    ).toBe(401);
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
    // The page is asked for at every start; a file named after its content is kept.
    expect(index.headers.get('cache-control')).toBe('no-store');
    expect(script.headers.get('cache-control')).toBeNull();
    const hashed = await fetch(`${base()}/assets/app-BairfB91.js`);
    expect(await hashed.text()).toBe('console.log(2)');
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const attempt of ['/..%2fsecret.txt', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fsecret.txt']) {
      const res = await fetch(`${base()}${attempt}`);
      expect(await res.text()).not.toContain('do not serve');
      expect(await res.text().catch(() => '')).not.toContain('root:');
    }
    expect((await fetch(`${base()}/`, { method: 'POST' })).status).toBe(405);
  });

  // Issue 11, finding 1: `new URL()` threw outside any try and the process exited.
  it('answers a garbage request target with 400 and stays up, over HTTP and WebSocket', async () => {
    const host = `127.0.0.1:${server.port}`;
    const page = await rawRequest(server.port, `GET //[ HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect(page).toMatchObject({
      status: 400,
      body: 'The request target must be a path such as /index.html.\n',
      end: 'answered',
    });
    const upgrade = await rawRequest(
      server.port,
      `GET //[ HTTP/1.1\r\nHost: ${host}\r\n${upgradeHeaders}\r\n`,
    );
    expect(upgrade.status).toBe(400);
    expect(JSON.parse(upgrade.body)).toEqual({
      code: 'malformed_message',
      message: 'The request target must be a path such as /api.',
    });
    for (const target of ['//evil.example/api', '*', 'http://evil.example/', 'api']) {
      expect((await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).status).toBe(
        400,
      );
    }
    // Requests the parser itself refuses get a sentence, not a reset.
    const garbage = await rawRequest(server.port, 'GARBAGE\r\n\r\n');
    expect(garbage).toMatchObject({
      status: 400,
      body: 'Bad Request: the request could not be read.\n',
      end: 'answered',
    });
    const huge = await rawRequest(
      server.port,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge.status).toBe(431);
    const api = createSocketApi(await open());
    expect((await api.call['app:info']({})).ok).toBe(true);
    api.close();
  });

  // Issue 11, finding 2: a rebinding page (evil.example → 127.0.0.1) reached the API with the token.
  it('refuses a request that names another host (DNS rebinding), even with the token', async () => {
    const port = server.port;
    expect(await handshake(apiUrl(server.token), { Host: 'evil.example' })).toBe(421);
    expect(await handshake(apiUrl(server.token), { Host: `evil.example:${port}` })).toBe(421);
    expect(await handshake(apiUrl(server.token), { Host: '127.0.0.1:1' })).toBe(421);
    const page = await rawRequest(port, `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\n\r\n`);
    expect(page).toMatchObject({
      status: 421,
      body: `This server does not answer to the name "evil.example:${port}"; open the URL printed by \`vae-studio serve\`.\n`,
    });
    const noHost = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(noHost).toMatchObject({
      status: 421,
      body: 'A request must name this server in its Host header.\n',
    });
    const upgrade = await rawRequest(
      port,
      `GET /api?token=${server.token} HTTP/1.1\r\nHost: evil.example:${port}\r\n${upgradeHeaders}\r\n`,
    );
    expect(upgrade.status).toBe(421);
    expect(JSON.parse(upgrade.body)).toMatchObject({ code: 'forbidden' });
    for (const own of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      expect(await handshake(apiUrl(server.token), { Host: own }), own).toBe(101);
      expect((await rawRequest(port, `GET / HTTP/1.1\r\nHost: ${own}\r\n\r\n`)).status, own).toBe(200);
    }
  });

  it('answers to the interface it was bound to, and to an allowed origin’s host (a dev server’s proxy)', async () => {
    const other = await startBrowserServer({
      core,
      host: '127.0.0.2',
      port: 0,
      rendererDir,
      extraOrigins: ['http://127.0.0.1:5173'],
    });
    try {
      expect(other.url).toBe(`http://127.0.0.2:${other.port}/?token=${other.token}`);
      const url = `ws://127.0.0.2:${other.port}/api?token=${other.token}`;
      expect(await handshake(url)).toBe(101);
      expect(await handshake(url, { Host: '127.0.0.1:5173', Origin: 'http://127.0.0.1:5173' })).toBe(101);
      expect(await handshake(url, { Host: 'evil.example' })).toBe(421);
    } finally {
      await other.close();
    }
  });

  it('refuses to listen beyond loopback unless told to, and a short token', async () => {
    await expect(startBrowserServer({ core, host: '192.0.2.1', port: 0, rendererDir })).rejects.toThrow(
      'Refusing to listen on 192.0.2.1, which is not loopback, without allowRemote.',
    );
    await expect(startBrowserServer({ core, port: 0, rendererDir, token: 'abc' })).rejects.toThrow(
      'The token must be at least 32 characters long (this one has 3).',
    );
    await expect(
      startBrowserServer({ core, port: 0, rendererDir, token: `${'a'.repeat(32)}&x=1` }),
    ).rejects.toThrow('The token may contain only letters, digits, "-" and "_".');
  });

  it('sends cross-origin isolation headers on every response, refusals included', async () => {
    const host = `127.0.0.1:${server.port}`;
    const replies = [
      await rawRequest(server.port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
      await rawRequest(server.port, `GET /assets/app.js HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
      await rawRequest(server.port, `GET /assets/missing.js HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
      await rawRequest(server.port, `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`),
      await rawRequest(server.port, `GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n`),
      await rawRequest(server.port, `GET /api HTTP/1.1\r\nHost: ${host}\r\n${upgradeHeaders}\r\n`),
      await rawRequest(server.port, 'GARBAGE\r\n\r\n'),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 404, 405, 421, 401, 400]);
    for (const reply of replies) {
      expect(headerOf(reply.head, 'Cross-Origin-Opener-Policy')).toBe('same-origin');
      expect(headerOf(reply.head, 'Cross-Origin-Resource-Policy')).toBe('same-origin');
      expect(headerOf(reply.head, 'X-Content-Type-Options')).toBe('nosniff');
    }
  });
});
