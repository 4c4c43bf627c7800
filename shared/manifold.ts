/**
 * The layout of a latent manifold, shared by the snapshot the training loop
 * makes and the manifold the renderer decodes on demand: the same cells, in
 * the same order, at the same latent coordinates.
 */

/** `n` evenly spaced values from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, n: number): number[] {
  if (n <= 1) return [start];
  const step = (stop - start) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? stop : start + i * step));
}

/**
 * The values each axis of an n×n manifold over [−range, range]² sweeps, ends
 * included; a 1×1 manifold is the single point at the centre.
 */
export function manifoldAxis(n: number, range: number): number[] {
  return n === 1 ? [0] : linspace(-range, range, n);
}

/**
 * Plane coordinates `[x, y]` of the cells of an n×n manifold, in the order its
 * images are laid out: row-major, cell (row i, column j) at index i·n + j, at
 * `[axis[j], axis[n − 1 − i]]`. Columns sweep x from −range to range; row 0 is
 * the top, at the largest y, like the notebook's `grid_y = linspace(−r, r, n)[::-1]`.
 */
export function manifoldCells(n: number, range: number): [number, number][] {
  const axis = manifoldAxis(n, range);
  const cells: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) cells.push([axis[j] as number, axis[n - 1 - i] as number]);
  }
  return cells;
}
