/**
 * Runs `callback` before the next repaint (a timer where there is no
 * animation frame, as in tests); returns a function that cancels it.
 */
export function nextFrame(callback: () => void): () => void {
  if (typeof requestAnimationFrame === 'function') {
    const id = requestAnimationFrame(() => callback());
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(callback, 16);
  return () => clearTimeout(id);
}
