import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { isIPv4, isIPv6, type AddressInfo, type Socket } from 'node:net';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { firstParam, uploadPath, uploadTokenHeader, wsPath, type ServerFrame } from '../../shared/contract';
import { err, type ErrorCode, type Result } from '../../shared/result';
import { decodeWire, encodeWire } from '../../shared/wire';
import type { Core } from '../core/core';
import { DatasetError } from '../datasets/errors';
import { discardAllUploads, discardUpload, receiveUploadFile } from '../datasets/uploads';
import { lookupStaticFile, staticHeaders } from '../platform/static-files';

/** Shortest token accepted from outside: a launch's own is 24 random bytes, 32 characters. */
export const minTokenLength = 32;

export interface BrowserServerOptions {
  core: Core;
  /** Interface to bind; 127.0.0.1 unless the user asked otherwise. */
  host?: string;
  /**
   * Required to bind anything but loopback: the token then travels in clear
   * text over plain HTTP, so the caller must have said it knows.
   */
  allowRemote?: boolean;
  /** 0 picks a free port. */
  port?: number;
  /** Built renderer to serve; null serves the API only. */
  rendererDir: string | null;
  /** Per-launch secret (see {@link tokenProblem}); a random one when omitted. */
  token?: string;
  /** Origins allowed besides the server's own (e.g. a Vite dev server). */
  extraOrigins?: string[];
  /** Largest request frame answered normally; larger ones get `payload_too_large`. */
  maxFrameBytes?: number;
  /** Largest upload (all its files together); {@link MAX_UPLOAD_BYTES} by default. */
  maxUploadBytes?: number;
  /** An upload request silent for this long is dropped, its connection closed; {@link UPLOAD_IDLE_MS} by default. */
  uploadIdleMs?: number;
  /** Where unexpected failures go; the client only hears a sentence. */
  logError?: (message: string, error: unknown) => void;
}

export interface BrowserServer {
  /** URL to open, with the token. */
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Why `token` cannot be this server's secret, or null when it can. */
export function tokenProblem(token: string): string | null {
  if (token.length < minTokenLength) {
    return `The token must be at least ${minTokenLength} characters long (this one has ${token.length}).`;
  }
  // It travels in the printed URL's query: keep it to characters that need no escaping.
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    return 'The token may contain only letters, digits, "-" and "_".';
  }
  return null;
}

/** True when `host` names this machine's loopback interface and nothing else. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || (isIPv4(name) && name.startsWith('127.'));
}

/** `host` as it appears in a URL or a Host header (IPv6 in brackets). */
function urlHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host.toLowerCase();
}

/**
 * The names a request may address this server by: the loopback names, the
 * interface it was bound to and, when that is every interface, each of this
 * machine's addresses and its host name. A page reached through any other
 * name (DNS rebinding: evil.example resolving to 127.0.0.1) is refused.
 */
function ownHostNames(host: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', urlHost(host)]);
  if (host === '0.0.0.0' || host === '::') {
    names.add(os.hostname().toLowerCase());
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const { address } of addresses ?? []) names.add(urlHost(address));
    }
  }
  return [...names];
}

/** The request target as a URL, or null when it is not a plain path (origin-form). */
function parseTarget(target: string | undefined): URL | null {
  // "//host/x" would parse as another authority, "*" and absolute forms are for proxies.
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

/** Headers on every response: no other site may embed our files or keep a handle on our window. */
const isolationHeaders: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const upgradeErrorCodes: Record<number, ErrorCode> = {
  400: 'malformed_message',
  401: 'unauthorized',
  404: 'not_found',
};

const rawIsolationHeaders = Object.entries(isolationHeaders)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ code: upgradeErrorCodes[status] ?? 'forbidden', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${rawIsolationHeaders}` +
      'Content-Type: application/json\r\nConnection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function refuse(res: http.ServerResponse, status: number, reason: string): void {
  const body = `${reason}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

/** The answer to a request the HTTP parser could not read. */
function clientErrorResponse(error: NodeJS.ErrnoException): string {
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = `${http.STATUS_CODES[status] ?? 'Bad Request'}: the request could not be read.\n`;
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${rawIsolationHeaders}` +
    'Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * Browser mode: the built renderer as static files and the API over a
 * WebSocket at `/api`, bound to loopback by default. The socket requires the
 * per-launch token and a page Origin of this server (or none, for scripts
 * that hold the token): a page on another site cannot drive the API even if
 * it guesses the port. Every request must name this server in its Host header
 * (DNS rebinding), and no request, however malformed, may bring the process
 * down: a training run lives in it.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { core, rendererDir } = options;
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new Error(`Refusing to listen on ${host}, which is not loopback, without allowRemote.`);
  }
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const problem = tokenProblem(token);
  if (problem !== null) throw new Error(problem);
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  const logError = options.logError ?? ((message: string, error: unknown) => console.error(message, error));
  let allowedOrigins = new Set<string>();
  // Filled once the port is known; until then nothing is accepted.
  let allowedHosts = new Set<string>();

  /** Why the Host header does not name this server, or null when it does. */
  const hostProblem = (given: string | undefined): string | null => {
    if (given === undefined) return 'A request must name this server in its Host header.';
    if (allowedHosts.has(given.toLowerCase())) return null;
    return `This server does not answer to the name "${given.slice(0, 100)}"; open the URL printed by \`vae-studio serve\`.`;
  };

  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(isolationHeaders)) res.setHeader(name, value);
    const url = parseTarget(req.url);
    if (url === null) return refuse(res, 400, 'The request target must be a path such as /index.html.');
    const wrongHost = hostProblem(req.headers.host);
    if (wrongHost !== null) return refuse(res, 421, wrongHost);
    if (url.pathname === uploadPath || url.pathname.startsWith(`${uploadPath}/`)) {
      upload(req, res, url).catch((error: unknown) => {
        logError('[serve] an upload failed unexpectedly', error);
        if (!res.headersSent) refuse(res, 500, 'The upload failed; the details are in the server log.');
        else res.destroy();
      });
      return;
    }
    try {
      serveStatic({ req, res, url, rendererDir });
    } catch (error) {
      logError('[serve] a request failed unexpectedly', error);
      if (!res.headersSent) refuse(res, 500, 'The server failed to answer; the details are in its log.');
      else res.destroy();
    }
  });
  /**
   * `PUT /upload/<id>/<path>` stores one file of an upload, `DELETE /upload/<id>` drops
   * it. The same token and Origin rules as the socket's: the token comes in a custom
   * header, which also makes a browser ask first (CORS) before another site's page
   * could send it, and this server never says yes.
   */
  async function upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const given = req.headers[uploadTokenHeader];
    if (typeof given !== 'string' || !sameSecret(given, token)) {
      req.resume();
      return refuse(res, 401, 'Missing or wrong token: open the URL printed by `vae-studio serve`.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      req.resume();
      return refuse(res, 403, `Origin ${origin.slice(0, 100)} may not use this server.`);
    }
    let parts: string[];
    try {
      parts = url.pathname
        .slice(uploadPath.length + 1)
        .split('/')
        .map((p) => decodeURIComponent(p));
    } catch {
      req.resume();
      return refuse(res, 400, 'The upload path is not valid percent-encoding.');
    }
    const [id = '', ...rest] = parts;
    try {
      if (req.method === 'DELETE' && rest.length === 0) {
        await discardUpload(core.dataDir, id);
        res.writeHead(204).end();
        return;
      }
      if (req.method !== 'PUT' || rest.length === 0) {
        req.resume();
        return refuse(
          res,
          405,
          'Send a file with PUT /upload/<id>/<path>, or DELETE /upload/<id> to drop it.',
        );
      }
      const declared = Number(req.headers['content-length']);
      await receiveUploadFile({
        dataDir: core.dataDir,
        id,
        relative: rest.join('/'),
        body: req,
        ...(Number.isSafeInteger(declared) && declared >= 0 ? { length: declared } : {}),
        ...(options.maxUploadBytes !== undefined ? { maxBytes: options.maxUploadBytes } : {}),
        ...(options.uploadIdleMs !== undefined ? { idleMs: options.uploadIdleMs } : {}),
      });
      res.writeHead(204).end();
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      const status =
        error.code === 'payload_too_large'
          ? 413
          : error.code === 'invalid_input'
            ? 400
            : error.code === 'not_found'
              ? 404
              : 500;
      if (!req.complete) req.resume();
      refuse(res, status, error.message);
    }
  }

  // Node cuts any request not received whole within 5 minutes, which a large zip over a slow
  // link is not: an upload ends instead when its bytes stop coming (uploadIdleMs), and every
  // request's headers must still arrive within headersTimeout.
  server.requestTimeout = 0;

  // Requests the parser cannot read (bad request line, header overflow…):
  // answer in plain words and close, never throw.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // After an answer on this connection, a status line now could land inside it: just close (as Node does).
    const answered = (socket as Partial<Socket>).bytesWritten ?? 0;
    if (error.code === 'ECONNRESET' || !socket.writable || answered > 0) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error));
  });
  // Frames beyond 4× the limit are cut by ws itself (close code 1009); those
  // in between still get a `payload_too_large` answer and the socket stays open.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes * 4 });

  server.on('upgrade', (req, socket, head) => {
    // Once upgraded, the socket is ours: a peer's reset must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const url = parseTarget(req.url);
    if (url === null) {
      return rejectUpgrade(socket, 400, 'The request target must be a path such as /api.');
    }
    const wrongHost = hostProblem(req.headers.host);
    if (wrongHost !== null) return rejectUpgrade(socket, 421, wrongHost);
    if (url.pathname !== wsPath)
      return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${url.pathname.slice(0, 100)}.`);
    const given = url.searchParams.get('token') ?? '';
    if (!sameSecret(given, token)) {
      return rejectUpgrade(
        socket,
        401,
        'Missing or wrong token: open the URL printed by `vae-studio serve`.',
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return rejectUpgrade(socket, 403, `Origin ${origin.slice(0, 100)} may not use this server.`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    const onFrame = (data: Buffer, isBinary: boolean) => {
      answer({ ws, data, isBinary }).catch((error: unknown) => {
        logError('[serve] a request frame failed unexpectedly', error);
      });
    };
    ws.on('message', (data, isBinary) => onFrame(data as Buffer, isBinary));
    // The page's first request may come in the URL, answered now rather than a round trip later.
    const first = parseTarget(req.url)?.searchParams.get(firstParam);
    if (first) onFrame(Buffer.from(first, 'utf8'), false);
  });

  async function answer({ ws, data, isBinary }: { ws: WebSocket; data: Buffer; isBinary: boolean }) {
    const reply = (id: number | null, result: Result<unknown>) => {
      if (ws.readyState !== ws.OPEN) return;
      const frame: ServerFrame = { id, result };
      ws.send(encodeWire(frame));
    };
    if (data.byteLength > maxFrameBytes) {
      return reply(null, err('payload_too_large', `A request may be at most ${maxFrameBytes} bytes.`));
    }
    if (isBinary) return reply(null, err('malformed_message', 'Requests are JSON text frames.'));
    let frame: unknown;
    try {
      frame = decodeWire(data.toString('utf8'));
    } catch {
      return reply(null, err('malformed_message', 'The request is not valid JSON.'));
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      return reply(null, err('malformed_message', 'A request is an object { id, command, arg }.'));
    }
    const { id, command, arg } = frame as { id?: unknown; command?: unknown; arg?: unknown };
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      return reply(null, err('malformed_message', 'A request needs an integer "id".'));
    }
    reply(id, await core.dispatch(command, arg));
  }

  const unsubscribe = core.events.onAny((event, payload) => {
    if (clients.size === 0) return;
    const text = encodeWire({ event, payload } satisfies ServerFrame);
    for (const ws of clients) {
      // A slow client loses progress ticks rather than growing our memory; other events always go.
      if (event === 'run:progress' && ws.bufferedAmount > 1024 * 1024) continue;
      if (ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  // Uploads of an earlier launch were never imported: their pages are gone.
  await discardAllUploads(core.dataDir).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const names = ownHostNames(host);
  // Browsers leave the port out of Host and Origin when it is the scheme's default.
  const ownHosts = names.flatMap((name) => (port === 80 ? [name, `${name}:80`] : [`${name}:${port}`]));
  const extraOrigins = options.extraOrigins ?? [];
  allowedOrigins = new Set([...ownHosts.map((h) => `http://${h}`), ...extraOrigins]);
  // A page of an allowed origin may reach us through its own server's proxy (the dev server's),
  // which passes its Host on.
  const extraHosts = extraOrigins.flatMap((origin) => {
    try {
      return [new URL(origin).host];
    } catch {
      return [];
    }
  });
  allowedHosts = new Set([...ownHosts, ...extraHosts]);
  const shownHost = urlHost(host);

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections from the browser would hold close() open indefinitely.
      server.closeAllConnections();
      await closed;
    },
  };
}

function serveStatic({
  req,
  res,
  url,
  rendererDir,
}: {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  rendererDir: string | null;
}): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (!rendererDir) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('The renderer is not built: run `npm run build`.\n');
    return;
  }
  const found = lookupStaticFile(rendererDir, url.pathname, { routeFallback: true });
  if (found.kind === 'refused') {
    res.writeHead(found.status, staticHeaders('text/plain; charset=utf-8')).end(`${found.message}\n`);
    return;
  }
  const file = found.file;
  const headers = staticHeaders(found.contentType, file);
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // A file removed between the check and the read ends this response only.
  fs.createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
