import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { wsPath, type ServerFrame } from '../../shared/contract';
import { contentSecurityPolicy } from '../../shared/csp';
import { err, type Result } from '../../shared/result';
import { decodeWire, encodeWire } from '../../shared/wire';
import type { Core } from '../core/core';

export interface BrowserServerOptions {
  core: Core;
  /** Interface to bind; 127.0.0.1 unless the user asked otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Built renderer to serve; null serves the API only. */
  rendererDir: string | null;
  /** Per-launch secret; a random one when omitted. */
  token?: string;
  /** Origins allowed besides the server's own (e.g. a Vite dev server). */
  extraOrigins?: string[];
  /** Largest request frame answered normally; larger ones get `payload_too_large`. */
  maxFrameBytes?: number;
}

export interface BrowserServer {
  /** URL to open, with the token. */
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ code: status === 401 ? 'unauthorized' : 'forbidden', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\nConnection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Browser mode: the built renderer as static files and the API over a
 * WebSocket at `/api`, bound to loopback by default. The socket requires the
 * per-launch token and a page Origin of this server (or none, for scripts
 * that hold the token): a page on another site cannot drive the API even if
 * it guesses the port.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { core, rendererDir } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  let allowedOrigins = new Set<string>();

  const server = http.createServer((req, res) => {
    serveStatic({ req, res, rendererDir });
  });
  // Frames beyond 4× the limit are cut by ws itself (close code 1009); those
  // in between still get a `payload_too_large` answer and the socket stays open.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes * 4 });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== wsPath)
      return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${url.pathname}.`);
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
      return rejectUpgrade(socket, 403, `Origin ${origin} may not use this server.`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const clients = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void answer({ ws, data: data as Buffer, isBinary });
    });
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const ownOrigins = [`http://${shownHost}:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}`];
  allowedOrigins = new Set([...ownOrigins, ...(options.extraOrigins ?? [])]);

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
  rendererDir,
}: {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  rendererDir: string | null;
}): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (!rendererDir) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('The renderer is not built: run `npm run build`.\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  // Resolve inside the renderer folder only: "..", absolute paths and NUL never leave it.
  const root = path.resolve(rendererDir);
  let file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  if (!file.startsWith(root + path.sep) && file !== root) {
    res.writeHead(403).end();
    return;
  }
  if (relative.includes('\0')) {
    res.writeHead(400).end();
    return;
  }
  // Client-side routes (no file extension) get the app's index.html.
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    if (path.extname(file) !== '') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    file = path.join(root, 'index.html');
  }
  const type = mimeTypes[path.extname(file)] ?? 'application/octet-stream';
  // The policy on every file, not only the page: a worker's policy is the one
  // delivered with its own script (the figure and snapshot workers).
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': type,
    'Content-Security-Policy': contentSecurityPolicy,
  };
  if (type.startsWith('text/html')) headers['Cache-Control'] = 'no-store';
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(file).pipe(res);
}
