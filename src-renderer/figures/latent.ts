import { linspace, manifoldCells } from '../../shared/manifold';
import { gaussian, mulberry32 } from '../../shared/random';
import type { Pca } from './pca';

/** How a latent space of any dimension is shown in 2-D. */
export type LatentView = { kind: 'dims'; dims: [number, number] } | { kind: 'pca' };

/**
 * An affine plane in latent space: point(a, b) = origin + a·axisX + b·axisY,
 * with orthonormal axes, so projecting onto it is two dot products.
 */
export interface LatentPlane {
  origin: Float64Array;
  axisX: Float64Array;
  axisY: Float64Array;
  /** Axis titles: `z [0]`, `z [1]` (the notebook's) or `PC 1`, `PC 2`. */
  labels: [string, string];
}

function unit(dim: number, index: number): Float64Array {
  const v = new Float64Array(dim);
  if (index >= 0 && index < dim) v[index] = 1;
  return v;
}

/** The default view: the two dimensions themselves up to 2-D, PCA above. */
export function defaultView(latentDim: number): LatentView {
  return latentDim > 2 ? { kind: 'pca' } : { kind: 'dims', dims: [0, Math.min(1, latentDim - 1)] };
}

/** The plane a view looks at; a PCA view needs the PCA of the codes (other dims stay at 0 for a dims view). */
export function planeForView(view: LatentView, latentDim: number, pca: Pca | null): LatentPlane {
  if (view.kind === 'pca' && pca && pca.components.length >= 2) {
    return {
      origin: Float64Array.from(pca.mean),
      axisX: Float64Array.from(pca.components[0] as Float64Array),
      axisY: Float64Array.from(pca.components[1] as Float64Array),
      labels: ['PC 1', 'PC 2'],
    };
  }
  const [dx, dy] = view.kind === 'dims' ? view.dims : [0, 1];
  // A 1-D latent space has no second axis: the plane degenerates to a line.
  const axisY = latentDim > 1 && dy !== dx ? unit(latentDim, dy) : new Float64Array(latentDim);
  return {
    origin: new Float64Array(latentDim),
    axisX: unit(latentDim, dx),
    axisY,
    labels: [`z [${dx}]`, `z [${dy}]`],
  };
}

/** The latent point at plane coordinates (a, b). */
export function planePoint(plane: LatentPlane, a: number, b: number): number[] {
  const out = new Array<number>(plane.origin.length);
  for (let d = 0; d < out.length; d++) {
    out[d] = (plane.origin[d] as number) + a * (plane.axisX[d] as number) + b * (plane.axisY[d] as number);
  }
  return out;
}

/** Plane coordinates (x, y interleaved) of `count` codes of `dim` values. */
export function projectOntoPlane(
  codes: Float32Array,
  count: number,
  dim: number,
  plane: Pick<LatentPlane, 'origin' | 'axisX' | 'axisY'>,
): Float32Array {
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    let x = 0;
    let y = 0;
    const base = i * dim;
    for (let d = 0; d < dim; d++) {
      const c = (codes[base + d] as number) - (plane.origin[d] as number);
      x += c * (plane.axisX[d] as number);
      y += c * (plane.axisY[d] as number);
    }
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
}

/** The latent points of an n×n manifold over [−range, range]² in the plane, in {@link manifoldCells}' order. */
export function manifoldPoints(plane: LatentPlane, n: number, range: number): number[][] {
  return manifoldCells(n, range).map(([x, y]) => planePoint(plane, x, y));
}

/** One test image's code as a plain array. */
export function latentRow(codes: Float32Array, index: number, dim: number): number[] {
  return Array.from(codes.subarray(index * dim, (index + 1) * dim));
}

/** `steps` points on the straight line from `a` to `b`, both ends included. */
export function interpolationPoints(a: number[], b: number[], steps: number): number[][] {
  return linspace(0, 1, steps).map((t) => a.map((v, d) => v + ((b[d] ?? 0) - v) * t));
}

/** `steps` copies of `base` with dimension `dim` swept over [−range, range]. */
export function traversalPoints(base: number[], dim: number, range: number, steps: number): number[][] {
  return linspace(-range, range, steps).map((value) => base.map((v, d) => (d === dim ? value : v)));
}

/** z = z_mu + exp(0.5·z_log_var)·ε for one test image, ε seeded by its index (the reparameterisation). */
export function sampledLatent(
  zMu: Float32Array,
  zLogVar: Float32Array,
  index: number,
  dim: number,
): number[] {
  const random = mulberry32(0x9e3779b9 ^ index);
  const out: number[] = [];
  for (let d = 0; d < dim; d++) {
    const k = index * dim + d;
    out.push((zMu[k] as number) + Math.exp(0.5 * (zLogVar[k] as number)) * gaussian(random));
  }
  return out;
}
