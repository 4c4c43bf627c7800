// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { takeToken } from '../../../src-renderer/api/client';

describe('browser-mode token', () => {
  it('takes the token from the URL, keeps it for the tab and hides it from the address bar', () => {
    window.history.replaceState(null, '', '/?token=abc123#/about');
    expect(takeToken(window.location, window.sessionStorage, window.history)).toBe('abc123');
    expect(window.location.search).toBe('');
    expect(window.location.hash).toBe('#/about');
    expect(takeToken(window.location, window.sessionStorage, window.history)).toBe('abc123');
  });

  it('has no token when neither the URL nor the tab holds one', () => {
    window.sessionStorage.clear();
    window.history.replaceState(null, '', '/');
    expect(takeToken(window.location, window.sessionStorage, window.history)).toBeNull();
  });
});
