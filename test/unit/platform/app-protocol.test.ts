import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../../shared/csp';
import { createAppProtocolHandler } from '../../../src-main/platform/app-protocol';
import { lookupStaticFile } from '../../../src-main/platform/static-files';

// A renderer folder with a page, a module worker and a stylesheet, beside a
// secret that must never be served.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-app-protocol-'));
const rendererDir = path.join(work, 'renderer');
fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>VAE Studio</title>');
fs.writeFileSync(path.join(rendererDir, 'assets', 'figure-worker-1.js'), 'self.onmessage = () => {};');
fs.writeFileSync(path.join(rendererDir, 'assets', 'index-1.css'), 'body { margin: 0 }');
fs.writeFileSync(path.join(rendererDir, 'assets', 'blob.bin'), Buffer.from([0, 1, 2]));
// Named after its content, as the build names what it writes into assets/.
fs.writeFileSync(path.join(rendererDir, 'assets', 'index-rZQw6u51.js'), 'export {};');
fs.writeFileSync(path.join(rendererDir, 'index-rZQw6u51.js'), 'export {};');
fs.writeFileSync(path.join(work, 'secret.txt'), 'secret');
fs.writeFileSync(path.join(work, 'renderer-evil.txt'), 'secret');

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const handle = createAppProtocolHandler(rendererDir);
const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

describe('the app:// protocol handler', () => {
  it('serves the page with its MIME type, the app CSP and no caching', async () => {
    const response = await get('app://vae-studio/index.html');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<!doctype html><title>VAE Studio</title>');
    expect(Object.fromEntries(response.headers)).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-length': '40',
    });
  });

  it('serves a module worker as JavaScript under the same policy (a worker takes its own CSP)', async () => {
    const response = await get('app://vae-studio/assets/figure-worker-1.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await response.text()).toBe('self.onmessage = () => {};');
    const css = await get('app://vae-studio/assets/index-1.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const bytes = await get('app://vae-studio/assets/blob.bin');
    expect(bytes.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 2]);
  });

  it('lets a browser keep a file named after its content, and nothing else', async () => {
    const hashed = await get('app://vae-studio/assets/index-rZQw6u51.js');
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // Not named after a hash, or not in assets/: asked for again each time.
    expect((await get('app://vae-studio/assets/blob.bin')).headers.get('cache-control')).toBeNull();
    expect((await get('app://vae-studio/index-rZQw6u51.js')).headers.get('cache-control')).toBeNull();
    expect(
      (await get('app://vae-studio/assets/missing-rZQw6u51.js')).headers.get('cache-control'),
    ).toBeNull();
    expect((await get('app://vae-studio/')).headers.get('cache-control')).toBe('no-store');
  });

  it('answers the folder itself with index.html, HEAD with headers only', async () => {
    expect(await (await get('app://vae-studio/')).text()).toBe('<!doctype html><title>VAE Studio</title>');
    const head = await get('app://vae-studio/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('40');
    expect(await head.text()).toBe('');
  });

  it.each([
    // Encoded separators are decoded, then the path is normalized from the
    // folder's root: "../secret.txt" names renderer/secret.txt, which is not there.
    ['app://vae-studio/..%2fsecret.txt', 404],
    ['app://vae-studio/assets/..%2F..%2Fsecret.txt', 404],
    ['app://vae-studio/%2e%2e%2fsecret.txt', 404],
    ['app://vae-studio/..%5csecret.txt', 400],
    ['app://vae-studio/%00index.html', 400],
    ['app://vae-studio/%E0%A4%A', 400],
    [`app://vae-studio/${encodeURIComponent(path.join(work, 'secret.txt'))}`, 404],
    ['app://vae-studio/../secret.txt', 404],
    ['app://vae-studio/assets', 404],
    ['app://vae-studio/missing.js', 404],
    ['app://vae-studio/runs', 404],
    ['app://other-host/index.html', 404],
    ['app://vae-studio:8080/index.html', 404],
    ['file:///tmp/evil.html', 404],
    ['http://127.0.0.1/index.html', 404],
  ])('refuses %s with %i, under the CSP, serving nothing from outside', async (url, status) => {
    const response = await get(url);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(text).not.toContain('<title>');
  });

  it('refuses other methods', async () => {
    const response = await get('app://vae-studio/index.html', 'POST');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('static file lookup', () => {
  it('climbs no higher than the folder, whatever the path', () => {
    const index = path.join(rendererDir, 'index.html');
    expect(lookupStaticFile(rendererDir, '/..%2f..%2f..%2findex.html')).toMatchObject({ file: index });
    expect(lookupStaticFile(rendererDir, '/assets/%2e%2e/index.html')).toMatchObject({ file: index });
    // A sibling whose name starts with the folder's name is outside too.
    expect(lookupStaticFile(rendererDir, '/..%2frenderer-evil.txt')).toEqual({
      kind: 'refused',
      status: 404,
      message: 'Not found.',
    });
    expect(lookupStaticFile(rendererDir, '/%2e%2e/%2e%2e/etc/passwd')).toMatchObject({ status: 404 });
  });

  it('falls back to index.html for client routes only when asked (browser mode)', () => {
    const index = {
      kind: 'file',
      file: path.join(rendererDir, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    };
    expect(lookupStaticFile(rendererDir, '/runs', { routeFallback: true })).toEqual(index);
    expect(lookupStaticFile(rendererDir, '/assets', { routeFallback: true })).toEqual(index);
    expect(lookupStaticFile(rendererDir, '/missing.js', { routeFallback: true })).toMatchObject({
      status: 404,
    });
    expect(lookupStaticFile(rendererDir, '/runs')).toMatchObject({ status: 404 });
  });
});
