import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSocketApi } from '../../shared/api-client';
import { commandNames } from '../../shared/contract';
import { presetById, type Hyperparams } from '../../shared/hyperparams';
import { errorCodes } from '../../shared/result';
import type { RunSummary } from '../../shared/run';
import { decodeWire } from '../../shared/wire';
import { createCore, type Core } from '../../src-main/core/core';
import { TrainingHost } from '../../src-main/training/host';
import { seededRandom } from '../../src-main/training/rng';
import { startBrowserServer, type BrowserServer } from '../../src-main/transports/browser-server';
import { rawRequest } from './raw-http';

// A seeded, bounded fuzz of browser mode's whole surface (issue 11): malformed
// HTTP request lines, targets, headers and Host values on raw sockets, WebSocket
// handshakes, malformed WebSocket frames, and well-framed requests with garbage
// commands and arguments — while a real training run goes on in the same
// process. The server must answer each (or close the connection), stay up, and
// the run must end with exactly the losses of an undisturbed one.

const workerPath = path.resolve(__dirname, '../../dist/node/src-main/training/worker.js');
// Real training runs in the compiled worker; `npm test` builds it before the tests.
const maybe = fs.existsSync(workerPath) ? describe : describe.skip;

const seed = 20261130;
const maxFrameBytes = 16 * 1024;
const hyperparams: Hyperparams = {
  ...presetById('keras-blog').hyperparams,
  epochs: 3,
  trainLimit: 8192,
  testLimit: 1024,
  seed: 7,
};

let dataDir: string;
let rendererDir: string;
let core: Core;
let server: BrowserServer;
const unexpected: string[] = [];

// ---------------------------------------------------------------- generators

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number) => Math.floor(random() * below);

function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

// Whole code points (the emoji stays one piece), so text frames are valid UTF-8.
const textAlphabet = Array.from(
  'abcXYZ019 -_./\\%?#&=:;@[]{}()<>"\'`~!$*+,|^\t\u00e9\u4e2d\ud83d\ude00\u0000\u007f',
);

function randomText(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += pick(random, textAlphabet);
  return out;
}

const methods = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'CONNECT',
  'get',
  'G ET',
  'PRI',
  'BREW',
  '',
];
const versions = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', 'HTTP/1.', ''];

function target(random: Random, token: string): string {
  switch (int(random, 14)) {
    case 0:
      return '//[';
    case 1:
      return pick(random, ['//', '///', '//evil.example/', '//[::1', '//[v1.x]/', '//@/', '//:99999/']);
    case 2:
      return pick(random, ['*', 'http://evil.example/', 'https://127.0.0.1/', 'api', 'evil.example:443', '']);
    case 3:
      return pick(random, [
        '/%',
        '/%zz',
        '/%00',
        '/%E0%A4%A',
        '/%C0%AF',
        '/..%2f..%2fetc%2fpasswd',
        '/%2e%2e/',
      ]);
    case 4:
      return `/${'a/'.repeat(int(random, 3000))}`;
    case 5:
      return `/api?token=${pick(random, [token, '', `${token}x`, token.slice(1), '%00', token.toUpperCase()])}`;
    case 6:
      return `/api?${randomText(random, int(random, 40))}`;
    case 7:
      return `/${randomBytes(random, int(random, 30)).toString('latin1')}`;
    case 8:
      return `/${randomText(random, int(random, 30))}`;
    case 9:
      return pick(random, ['/', '/index.html', '/assets/app.js', '/runs/abc', '/assets/missing.js', '/api']);
    case 10:
      return `/\\${pick(random, ['evil.example', '..\\..\\', ''])}`;
    case 11:
      return `/?${'x='.repeat(int(random, 500))}#frag`;
    case 12:
      return `/${'%'.repeat(int(random, 20))}`;
    default:
      return `/${encodeURIComponent(randomText(random, int(random, 20)))}`;
  }
}

function hostValue(random: Random, port: number): string | null {
  return pick(random, [
    null,
    '',
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    `LOCALHOST:${port}`,
    '127.0.0.1',
    'localhost',
    'evil.example',
    `evil.example:${port}`,
    `127.0.0.1:${port + 1}`,
    `127.0.0.1.evil.example:${port}`,
    `localhost.:${port}`,
    '[::1',
    `127.0.0.1:${port}@evil.example`,
    `${randomText(random, int(random, 20))}`,
    'a'.repeat(5000),
  ]);
}

const upgradeLines = [
  'Connection: Upgrade',
  'Upgrade: websocket',
  'Upgrade: h2c',
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Version: 8',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Key: short',
  'Sec-WebSocket-Protocol: , , x',
  'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99',
];

function headerLines(random: Random, port: number): string[] {
  const lines: string[] = [];
  const host = hostValue(random, port);
  if (host !== null) lines.push(`Host: ${host}`);
  if (random() < 0.1) lines.push(`Host: ${hostValue(random, port) ?? 'second.example'}`);
  const extra = int(random, 6);
  for (let i = 0; i < extra; i++) {
    switch (int(random, 12)) {
      case 0:
        lines.push(pick(random, upgradeLines));
        break;
      case 1:
        lines.push(
          `Origin: ${pick(random, ['null', 'http://evil.example', `http://127.0.0.1:${port}`, randomText(random, 10)])}`,
        );
        break;
      case 2:
        lines.push(`Content-Length: ${pick(random, ['-1', 'abc', '99999999999999999999', '5', '0, 1', ''])}`);
        break;
      case 3:
        lines.push(
          `Transfer-Encoding: ${pick(random, ['chunked', 'gzip, chunked', 'chunked, identity', 'x'])}`,
        );
        break;
      case 4:
        lines.push(' folded continuation');
        break;
      case 5:
        lines.push('no colon here');
        break;
      case 6:
        lines.push(`${randomText(random, 8)}: ${randomText(random, 12)}`);
        break;
      case 7:
        lines.push(`X-Big: ${'b'.repeat(pick(random, [100, 9000, 20000]))}`);
        break;
      case 8:
        lines.push('Expect: 100-continue');
        break;
      case 9:
        lines.push(`Connection: ${pick(random, ['close', 'keep-alive', 'Upgrade, close', ''])}`);
        break;
      case 10:
        lines.push(`: empty-name`);
        break;
      default:
        lines.push(`X-Bytes: ${randomBytes(random, 10).toString('latin1')}`);
    }
  }
  return lines;
}

/** A request (bytes) and its Host header: undefined when it has none, null when bytes were mutated. */
function httpCase(
  random: Random,
  port: number,
  token: string,
): { bytes: Buffer; cleanHost: string | null | undefined } {
  // Half the requests are well formed but for their Host and Origin, so the
  // Host check, the socket's checks and the static files get their share.
  if (random() < 0.5) {
    const host = hostValue(random, port);
    const lines = host === null ? [] : [`Host: ${host}`];
    const upgrade = random() < 0.4;
    if (upgrade) lines.push(...upgradeLines.slice(0, 2), upgradeLines[3]!, upgradeLines[5]!);
    for (let i = int(random, 4); i > 0; i--) {
      lines.push(
        random() < 0.5
          ? pick(random, upgradeLines)
          : `Origin: ${pick(random, ['null', 'http://evil.example', `http://127.0.0.1:${port}`, `http://localhost:${port}`])}`,
      );
    }
    const path =
      upgrade && random() < 0.7
        ? `/api?token=${token}`
        : pick(random, ['/', '/index.html', '/assets/app.js', '/runs/a', '/api', `/api?token=${token}`]);
    const text = `${upgrade || random() < 0.7 ? 'GET' : 'HEAD'} ${path} HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
    return { bytes: Buffer.from(text, 'latin1'), cleanHost: host ?? undefined };
  }
  const method = random() < 0.7 ? 'GET' : pick(random, methods);
  const version = random() < 0.8 ? 'HTTP/1.1' : pick(random, versions);
  const lines = headerLines(random, port);
  const eol = random() < 0.85 ? '\r\n' : pick(random, ['\n', '\r', '\r\r\n', '\n\r']);
  const path = target(random, token);
  let text = `${method} ${path} ${version}${eol}${lines.join(eol)}${eol}${eol}`;
  if (random() < 0.15) text += pick(random, ['hello', '5\r\nabc', '0\r\n\r\n', 'ffffffffffffffff\r\n']);
  let bytes = Buffer.from(text, 'latin1');
  let mutated = false;
  if (random() < 0.25) {
    mutated = true;
    bytes = Buffer.from(bytes);
    const edits = 1 + int(random, 4);
    for (let i = 0; i < edits; i++) {
      const at = int(random, bytes.length);
      const what = int(random, 3);
      if (what === 0) bytes[at] = int(random, 256);
      else if (what === 1)
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          randomBytes(random, 1 + int(random, 8)),
          bytes.subarray(at),
        ]);
      else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(random, 8))]);
    }
  }
  if (random() < 0.05) bytes = bytes.subarray(0, int(random, bytes.length));
  const hosts = lines.filter((l) => l.startsWith('Host: ')).map((l) => l.slice(6));
  return { bytes, cleanHost: mutated || hosts.length > 1 ? null : hosts[0] };
}

// ---------------------------------------------------------------- runners

async function pool<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await run(items[i]!);
      }
    }),
  );
  return results;
}

/** Opens an authenticated API socket. */
async function open(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** A client frame as a browser would mask it, with the given first byte and payload. */
function clientFrame({
  first,
  payload,
  lengthOverride,
}: {
  first: number;
  payload: Buffer;
  lengthOverride?: number;
}): Buffer {
  const length = lengthOverride ?? payload.length;
  const head: number[] = [first];
  if (length < 126) head.push(0x80 | length);
  else if (length < 65536) head.push(0x80 | 126, length >> 8, length & 0xff);
  else {
    head.push(0x80 | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, masked]);
}

function malformedFrame(random: Random): Buffer {
  const text = Buffer.from('{"id":1,"command":"app:info","arg":{}}');
  switch (int(random, 10)) {
    case 0: // reserved bits set
      return clientFrame({ first: 0x81 | 0x70, payload: text });
    case 1: // unknown opcode
      return clientFrame({ first: 0x80 | pick(random, [3, 4, 5, 0xb, 0xf]), payload: text });
    case 2: // unmasked client frame
      return Buffer.concat([Buffer.from([0x81, text.length]), text]);
    case 3: // invalid UTF-8 in a text frame
      return clientFrame({ first: 0x81, payload: Buffer.from([0xc3, 0x28, 0xff, 0xfe]) });
    case 4: // a control frame that is fragmented or too long
      return clientFrame({
        first: pick(random, [0x09, 0x89, 0x88]),
        payload: randomBytes(random, 126 + int(random, 50)),
      });
    case 5: // a continuation with nothing to continue
      return clientFrame({ first: 0x80, payload: text });
    case 6: // a length far beyond what is sent, or the limit
      return clientFrame({
        first: 0x81,
        payload: text,
        lengthOverride: pick(random, [2 ** 31, 2 ** 53, 10 * maxFrameBytes]),
      });
    case 7: // close frame with a bad code or a one-byte body
      return clientFrame({
        first: 0x88,
        payload: pick(random, [Buffer.from([0x03, 0xe8 + 7]), Buffer.from([1]), Buffer.from([0, 0])]),
      });
    case 8: // random bytes
      return randomBytes(random, 1 + int(random, 64));
    default: // a fragmented text message whose pieces do not fit together
      return Buffer.concat([
        clientFrame({ first: 0x01, payload: text.subarray(0, 5) }),
        clientFrame({ first: 0x81, payload: text }),
      ]);
  }
}

/** Handshakes on a raw socket, writes one malformed frame, and resolves how the server ended it. */
function rawFrameCase(frame: Buffer): Promise<'answered' | 'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded = false;
    let settled = false;
    const finish = (how: 'answered' | 'closed' | 'timeout') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('timeout'), 5000);
    socket.on('connect', () => {
      socket.write(
        `GET /api?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const split = received.indexOf('\r\n\r\n');
        if (split === -1) return;
        if (!received.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) return finish('timeout');
        upgraded = true;
        received = received.subarray(split + 4);
        socket.write(frame);
        // A frame that promises more bytes than it brings: end our side so the server sees it end.
        setTimeout(() => socket.end(), 150);
      }
      // Any frame back (a close with its code, or an answer to a frame that was valid after all).
      if (upgraded && received.length >= 2) finish('answered');
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
  });
}

interface Frame {
  text: string | Buffer;
  /** The id the reply must carry; null when the frame has none the server can read. */
  id: number | null;
}

const fieldNames = [
  'runId',
  'runIds',
  'epoch',
  'points',
  'hyperparams',
  'name',
  'backend',
  'dir',
  'indices',
  'split',
  'status',
  'limit',
  'text',
  'notes',
  'tags',
  'sort',
  'descending',
  'dataset',
  'kind',
  'path',
  'paths',
  'size',
  'channels',
  '__proto__',
  'constructor',
  'toString',
];

function randomValue(random: Random, depth: number): unknown {
  switch (int(random, depth > 2 ? 6 : 9)) {
    case 0:
      return pick(random, [0, -1, 1.5, 1e308, -0, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 65]);
    case 1:
      return pick(random, [
        '',
        'x',
        '../../../etc/passwd',
        'no-such-run',
        'mnist',
        '\u0000',
        'a'.repeat(3000),
        'NaN',
        'Infinity',
        'train',
        'test',
      ]);
    case 2:
      return randomText(random, int(random, 30));
    case 3:
      return pick(random, [true, false, null]);
    case 4:
      return {
        $typed: pick(random, ['Uint8Array', 'Float32Array', 'constructor', 'toString', 'Nope']),
        b64: pick(random, ['', 'AAAA', '!!!', 'AAA', 'AAAAAAA=']),
      };
    case 5:
      return int(random, 100);
    case 6:
    case 7: {
      const object: Record<string, unknown> = {};
      const keys = int(random, 5);
      for (let i = 0; i < keys; i++) object[pick(random, fieldNames)] = randomValue(random, depth + 1);
      return object;
    }
    default:
      return Array.from({ length: int(random, 5) }, () => randomValue(random, depth + 1));
  }
}

/** The frame as the server will see it: past the limit or undecodable, it is answered without its id. */
function sized(frame: Frame): Frame {
  const bytes = Buffer.byteLength(frame.text);
  if (bytes > 4 * maxFrameBytes) return { text: frame.text.slice(0, 4 * maxFrameBytes), id: null };
  if (bytes > maxFrameBytes) return { text: frame.text, id: null };
  // A typed array that does not decode spoils the whole frame, its id included.
  try {
    if (typeof frame.text === 'string') decodeWire(frame.text);
  } catch {
    return { text: frame.text, id: null };
  }
  return frame;
}

function wsFrame(random: Random, id: number): Frame {
  return sized(unsizedFrame(random, id));
}

function unsizedFrame(random: Random, id: number): Frame {
  const kind = int(random, 10);
  if (kind <= 3) {
    // Well-framed requests with a real or a garbage command and a garbage argument.
    const command =
      random() < 0.7
        ? pick(random, commandNames)
        : pick(random, [
            '',
            'runs:explode',
            '__proto__',
            'constructor',
            'toString',
            'hasOwnProperty',
            7,
            null,
          ]);
    return { text: JSON.stringify({ id, command, arg: randomValue(random, 0) }), id };
  }
  switch (kind) {
    case 4:
      return {
        text: JSON.stringify({
          id: pick(random, [1.5, -0.5, '1', null, 2 ** 60, [], {}]),
          command: 'app:info',
          arg: {},
        }),
        id: null,
      };
    case 5:
      return { text: randomText(random, int(random, 60)), id: null };
    case 6:
      return { text: randomBytes(random, int(random, 60)), id: null };
    case 7:
      return {
        text: pick(random, [
          'null',
          '[]',
          '1',
          '"x"',
          '{}',
          '{"id":',
          '{"__proto__":{"id":1}}',
          `{"id":${id}`,
        ]),
        id: null,
      };
    case 8:
      // Between the limit and 4× it: answered with payload_too_large, the socket stays open.
      return {
        text: JSON.stringify({
          id,
          command: 'app:info',
          arg: { pad: 'x'.repeat(maxFrameBytes + int(random, maxFrameBytes)) },
        }),
        id: null,
      };
    default:
      return { text: JSON.stringify({ id, command: 'runs:list', arg: randomValue(random, 1) }), id };
  }
}

/** Sends `frames` one connection at a time, checking one reply per frame; resolves the error codes seen. */
async function sendFrames(frames: Frame[], onReply: () => void): Promise<Map<string, number>> {
  const codes = new Map<string, number>();
  const ws = await open();
  const pending = new Map<number, true>();
  let nullReplies = 0;
  let nullExpected = 0;
  let wrongReply: unknown = null;
  const settled = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pending.size === 0 && nullReplies === nullExpected) resolve();
    };
    ws.on('message', (data: Buffer, isBinary) => {
      try {
        if (isBinary) throw new Error('a binary reply');
        const frame = decodeWire(data.toString('utf8')) as {
          id?: number | null;
          event?: string;
          result?: { ok: boolean; error?: { code: string } };
        };
        if (frame.event !== undefined) return;
        const code = frame.result?.ok ? 'ok' : (frame.result?.error?.code ?? 'missing');
        codes.set(code, (codes.get(code) ?? 0) + 1);
        onReply();
        if (frame.id === null) nullReplies++;
        else if (typeof frame.id === 'number' && pending.delete(frame.id)) void 0;
        else wrongReply = frame;
        check();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    ws.on('close', (code) => reject(new Error(`the server closed the socket (${code})`)));
    setTimeout(() => {
      reject(
        new Error(
          `no reply to ids ${[...pending.keys()].slice(0, 10).join(', ')}; ${nullReplies} of ${nullExpected} without id`,
        ),
      );
    }, 20_000).unref();
  });
  for (const frame of frames) {
    if (frame.id === null) nullExpected++;
    else pending.set(frame.id, true);
    ws.send(frame.text, { binary: Buffer.isBuffer(frame.text) });
  }
  await settled;
  expect(wrongReply).toBeNull();
  ws.removeAllListeners('close');
  ws.close();
  return codes;
}

// ---------------------------------------------------------------- the test

/** Starts a run through the API and resolves its per-epoch losses once it ends. */
async function train(name: string, whileRunning: (isOver: () => boolean) => Promise<void> = async () => {}) {
  const api = createSocketApi(await open());
  let over = false;
  const ended = new Promise<RunSummary>((resolve) =>
    api.on('run:status', ({ run }) => {
      if (run.name !== name || ['queued', 'running'].includes(run.status)) return;
      over = true;
      resolve(run);
    }),
  );
  const started = await api.call['runs:start']({ hyperparams, name, backend: 'wasm' });
  if (!started.ok) throw new Error(started.error.message);
  await whileRunning(() => over);
  const end = await ended;
  const detail = await api.call['runs:get']({ runId: started.value.id });
  api.close();
  if (!detail.ok) throw new Error(detail.error.message);
  const epochs = detail.value.epochs.map((e) => ({
    epoch: e.epoch,
    train: e.train,
    test: e.test,
  }));
  return { status: end.status, backend: end.backend, epochs };
}

maybe('browser mode under fuzz', () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-fuzz-'));
    rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-fuzz-renderer-'));
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>VAE Studio</title>');
    fs.mkdirSync(path.join(rendererDir, 'assets'));
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    const logError = (message: string, error: unknown) => {
      unexpected.push(`${message}: ${error instanceof Error ? error.message : String(error)}`);
    };
    core = createCore({
      dataDir,
      shell: 'browser',
      version: '9.9.9',
      host: new TrainingHost({ workerPath }),
      logError,
    });
    server = await startBrowserServer({ core, port: 0, rendererDir, maxFrameBytes, logError });
  });

  afterAll(async () => {
    await server?.close();
    await core?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(rendererDir, { recursive: true, force: true });
  });

  it('answers every malformed request and frame, stays up, and a run going on meanwhile trains exactly as an undisturbed one', async () => {
    const quiet = await train('undisturbed');
    expect(quiet.status).toBe('completed');
    expect(quiet.epochs).toHaveLength(hyperparams.epochs);

    const random = seededRandom(seed);
    const port = server.port;
    const token = server.token;
    const report = {
      http: new Map<string, number>(),
      frames: new Map<string, number>(),
      rawFrames: new Map<string, number>(),
    };
    const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    let runningAtStart = false;
    const hung: string[] = [];

    // The corpus, built before the run starts so that all of it meets the run.
    // 1. HTTP: request lines, targets, headers, Host values, bytes mutated.
    const httpCases = Array.from({ length: 1600 }, () => httpCase(random, port, token));
    // 2. Malformed WebSocket frames after a valid handshake.
    const rawFrames = Array.from({ length: 300 }, () => malformedFrame(random));
    // 3. Well-framed messages: garbage JSON, ids, commands and arguments, on 4 sockets.
    let id = 1;
    const frames = Array.from({ length: 2000 }, () => wsFrame(random, id++));
    const chunks = [0, 1, 2, 3].map((k) => frames.slice(k * 500, (k + 1) * 500));

    // Cases of each kind answered before the run ended: the fuzz really went on during training.
    const during = { http: 0, rawFrames: 0, frames: 0 };
    const loud = await train('fuzzed', async (runIsOver) => {
      const list = createSocketApi(await open());
      const runs = await list.call['runs:list']({ text: 'fuzzed' });
      list.close();
      runningAtStart = runs.ok && runs.value.some((r) => r.status === 'queued' || r.status === 'running');
      const count = (kind: keyof typeof during) => {
        if (!runIsOver()) during[kind]++;
      };

      // The three kinds go side by side, so each of them meets the run.
      const [replies, rawOutcomes, frameCodes] = await Promise.all([
        pool(httpCases, 8, async (c) => {
          const reply = await rawRequest(port, c.bytes);
          count('http');
          return reply;
        }),
        pool(rawFrames, 4, async (frame) => {
          const outcome = await rawFrameCase(frame);
          count('rawFrames');
          return outcome;
        }),
        Promise.all(chunks.map((chunk) => sendFrames(chunk, () => count('frames')))),
      ]);

      httpCases.forEach((c, i) => {
        const reply = replies[i]!;
        tally(report.http, reply.status === null ? reply.end : String(reply.status));
        if (reply.end === 'timeout') hung.push(c.bytes.toString('latin1').slice(0, 200));
        // Only a request that names this server may get a page or a socket.
        if (c.cleanHost !== null && (reply.status === 200 || reply.status === 101)) {
          expect(
            [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`],
            JSON.stringify(c.cleanHost),
          ).toContain(c.cleanHost);
        }
      });
      for (const how of rawOutcomes) tally(report.rawFrames, how);
      for (const codes of frameCodes) {
        for (const [code, n] of codes) report.frames.set(code, (report.frames.get(code) ?? 0) + n);
      }
    });

    const summary = Object.fromEntries(
      Object.entries(report).map(([k, v]) => [k, Object.fromEntries([...v].sort())]),
    );
    console.log(`fuzz seed ${seed}:`, JSON.stringify(summary), 'answered while the run trained:', during);
    expect(runningAtStart).toBe(true);
    expect(during.http).toBeGreaterThan(0);
    expect(during.rawFrames).toBeGreaterThan(0);
    expect(during.frames).toBeGreaterThan(0);
    // Every HTTP case got a status line or a clean close; none hung, none hit an unexpected failure.
    expect(hung).toEqual([]);
    expect(report.http.get('500') ?? 0).toBe(0);
    expect(report.rawFrames.get('timeout') ?? 0).toBe(0);
    for (const code of report.frames.keys()) expect([...errorCodes, 'ok']).toContain(code);
    expect(report.frames.get('internal') ?? 0).toBe(0);
    expect(unexpected).toEqual([]);

    // The server is still there, and the run did exactly what it does undisturbed.
    const api = createSocketApi(await open());
    expect((await api.call['app:info']({})).ok).toBe(true);
    api.close();
    expect(loud.status).toBe('completed');
    expect(loud.backend).toBe(quiet.backend);
    expect(loud.epochs).toEqual(quiet.epochs);
  }, 60_000);
});
