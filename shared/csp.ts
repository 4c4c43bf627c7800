/**
 * The content security policy of the renderer, the same in the desktop window
 * and in browser mode: nothing remote, no eval, no plugins; `connect-src 'self'`
 * admits browser mode's WebSocket back to its own server.
 * (src-renderer/index.html carries the same policy in a meta tag for file:// loads.)
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
