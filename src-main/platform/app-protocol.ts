import * as fs from 'node:fs';
import { appHost, appScheme } from './app-origin';
import { lookupStaticFile, staticHeaders } from './static-files';

/**
 * The handler of the app:// scheme (for Electron's `protocol.handle`), kept
 * free of electron so it runs under test with Node's own Request and
 * Response: GET and HEAD of files inside the built renderer folder, on the one
 * app host, each answer with the app's content security policy.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const refuse = (status: number, message: string, extra: Record<string, string> = {}) =>
    new Response(`${message}\n`, {
      status,
      headers: { ...staticHeaders('text/plain; charset=utf-8'), ...extra },
    });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return refuse(405, 'Only GET and HEAD.', { Allow: 'GET, HEAD' });
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refuse(400, 'Not a URL.');
    }
    if (
      url.protocol !== `${appScheme}:` ||
      url.host !== appHost ||
      url.username !== '' ||
      url.password !== ''
    ) {
      return refuse(404, `Only ${appScheme}://${appHost}/ is served.`);
    }
    const found = lookupStaticFile(rendererDir, url.pathname);
    if (found.kind === 'refused') return refuse(found.status, found.message);
    let body: Buffer;
    try {
      body = await fs.promises.readFile(found.file);
    } catch {
      return refuse(404, 'Not found.');
    }
    const headers = {
      ...staticHeaders(found.contentType, found.file),
      'Content-Length': String(body.byteLength),
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
