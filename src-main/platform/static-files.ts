import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentSecurityPolicy } from '../../shared/csp';

// Serving the built renderer as files, shared by the desktop app's app://
// protocol and usable by browser mode's HTTP server: which file a URL path
// names (never one outside the folder), its MIME type, and the headers every
// response carries.

/** MIME types of what the renderer build holds; anything else is served as bytes (with nosniff). */
export const staticMimeTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The MIME type for a file name, by its extension. */
export function mimeTypeFor(file: string): string {
  return staticMimeTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { kind: 'file'; file: string; contentType: string }
  | { kind: 'refused'; status: 400 | 403 | 404; message: string };

export interface StaticLookupOptions {
  /**
   * Serve index.html for a path without an extension that names no file
   * (client-side routes; browser mode). Off, such paths are 404.
   */
  routeFallback?: boolean;
}

/**
 * The file inside `rootDir` that a URL path (still percent-encoded, as in
 * `URL.pathname`) names. "..", encoded separators, absolute paths, NUL and
 * backslashes never leave the folder: they are refused (400/403) or resolve
 * inside it. `/` is the folder's index.html.
 */
export function lookupStaticFile(
  rootDir: string,
  urlPathname: string,
  options: StaticLookupOptions = {},
): StaticLookup {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPathname);
  } catch {
    return { kind: 'refused', status: 400, message: 'The path is not valid percent-encoding.' };
  }
  // A backslash is a separator on Windows; no file of the build has one in its name.
  if (relative.includes('\0') || relative.includes('\\')) {
    return { kind: 'refused', status: 400, message: 'The path holds a NUL or a backslash.' };
  }
  const root = path.resolve(rootDir);
  const index = path.join(root, 'index.html');
  const file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  if (file !== root && !file.startsWith(root + path.sep)) {
    return { kind: 'refused', status: 403, message: 'The path leads outside the app folder.' };
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isFile()) return { kind: 'file', file, contentType: mimeTypeFor(file) };
  const isRoute = options.routeFallback === true && path.extname(file) === '';
  if (file === root || isRoute) return { kind: 'file', file: index, contentType: mimeTypeFor(index) };
  return { kind: 'refused', status: 404, message: 'Not found.' };
}

/**
 * What the build names after its content (`assets/index-rZQw6u51.js`: Vite writes nothing
 * else into assets/, and its hashes are 8 characters of base64url): such a file never
 * changes under its name, so a browser may keep it, and reuse the compiled code V8 cached
 * with it, instead of asking again at every start. The page itself is never kept: it names
 * the current build's files.
 */
const contentNamed = /-[\w-]{8}\.[a-z0-9]+$/;

function isContentNamed(file: string): boolean {
  return path.basename(path.dirname(file)) === 'assets' && contentNamed.test(path.basename(file));
}

/**
 * Headers for every response of the renderer's files, errors included. The
 * policy goes on every file, not only the page: a worker's policy is the one
 * delivered with its own script.
 *
 * @param file the file served, when one is: decides how long a browser may keep it.
 */
export function staticHeaders(contentType: string, file?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (contentType.startsWith('text/html')) headers['Cache-Control'] = 'no-store';
  else if (file !== undefined && isContentNamed(file)) {
    headers['Cache-Control'] = 'public, max-age=31536000, immutable';
  }
  return headers;
}
