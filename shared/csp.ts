/**
 * The content security policy of the renderer, the same in the desktop window
 * and in browser mode: nothing remote, no eval, no plugins; `connect-src 'self'`
 * admits browser mode's WebSocket back to its own server.
 * Both serve it as a header on every file (app:// and HTTP); src-renderer/index.html
 * repeats it in a meta tag, less frame-ancestors, so it also holds where a page
 * is served without the header (Vite's dev server).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
