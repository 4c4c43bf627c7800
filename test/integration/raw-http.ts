import * as net from 'node:net';

/** What came back for a request written byte for byte on a fresh connection. */
export interface RawReply {
  /** Status of the first response line, or null when the server closed without a response. */
  status: number | null;
  head: string;
  body: string;
  /** How it ended: a whole response read, the server closed or reset the connection, or we gave up. */
  end: 'answered' | 'closed' | 'reset' | 'timeout';
}

/** Whether `bytes` hold one whole HTTP response (framed by Content-Length or chunked encoding). */
function complete(bytes: Buffer, headOnly: boolean): boolean {
  const split = bytes.indexOf('\r\n\r\n');
  if (split === -1) return false;
  const head = bytes.subarray(0, split).toString('latin1').toLowerCase();
  if (headOnly) return true;
  const body = bytes.subarray(split + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) return body.length >= Number(length[1]);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) return body.includes('0\r\n\r\n');
  return /^http\/1\.[01] (1\d\d|204|304)/.test(head);
}

/**
 * Writes `request` as is (`fetch` cannot send most malformed requests) and
 * reads one response. A request the server keeps waiting on (truncated) gets
 * the write side closed after `quietMs`, so the server sees where it ends.
 */
export function rawRequest(
  port: number,
  request: string | Buffer,
  {
    waitMs = 5000,
    quietMs = 150,
    host = '127.0.0.1',
  }: { waitMs?: number; quietMs?: number; host?: string } = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    // A response to HEAD announces a length but carries no body.
    const headOnly = Buffer.from(request.slice(0, 5)).toString('latin1') === 'HEAD ';
    const socket = net.connect(port, host);
    let settled = false;
    const finish = (end: RawReply['end']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      socket.destroy();
      const split = received.indexOf('\r\n\r\n');
      const head = (split === -1 ? received : received.subarray(0, split)).toString('latin1');
      const body = split === -1 ? '' : received.subarray(split + 4).toString('utf8');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: match ? Number(match[1]) : null, head, body, end });
    };
    const timer = setTimeout(() => finish('timeout'), waitMs);
    let quiet: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(request);
      quiet = setTimeout(() => {
        if (received.length === 0) socket.end();
      }, quietMs);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (complete(received, headOnly)) finish('answered');
    });
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('reset'));
  });
}

/** The value of a header in a raw response head (first one, case-insensitive), or null. */
export function headerOf(head: string, name: string): string | null {
  const line = head
    .split('\r\n')
    .slice(1)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line === undefined ? null : line.slice(name.length + 1).trim();
}
