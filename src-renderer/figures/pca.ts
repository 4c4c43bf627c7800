/**
 * Principal component analysis of latent codes, for plotting a latent space
 * of more than two dimensions. The covariance matrix is latentDim × latentDim
 * (≤ 64), so a Jacobi eigen-solver is exact enough and fast.
 */

export interface Pca {
  dim: number;
  /** Mean of every latent dimension. */
  mean: Float64Array;
  /** Unit eigenvectors of the covariance, largest variance first; each of length `dim`. */
  components: Float64Array[];
  /** Variance along each component. */
  variances: number[];
  /** Share of the total variance each component explains. */
  explained: number[];
}

/**
 * Eigen-decomposition of a symmetric matrix (row-major, n×n) by cyclic Jacobi
 * rotations. Returns eigenvalues in descending order and matching unit
 * eigenvectors (each vector's largest-magnitude entry made positive, so the
 * result is deterministic).
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: number[]; vectors: Float64Array[] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const at = (r: number, c: number) => a[r * n + c] as number;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(p, q) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => at(j, j) - at(i, i));
  const values = order.map((i) => at(i, i));
  const vectors = order.map((col) => {
    const vec = new Float64Array(n);
    let big = 0;
    for (let k = 0; k < n; k++) {
      vec[k] = v[k * n + col] as number;
      if (Math.abs(vec[k] as number) > Math.abs(big)) big = vec[k] as number;
    }
    if (big < 0) for (let k = 0; k < n; k++) vec[k] = -(vec[k] as number);
    return vec;
  });
  return { values, vectors };
}

/** PCA of `count` rows of `dim` values (row-major), keeping `k` components. */
export function computePca(data: ArrayLike<number>, count: number, dim: number, k = 2): Pca {
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++)
    for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) + (data[i * dim + d] as number);
  for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) / Math.max(count, 1);
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) row[d] = (data[i * dim + d] as number) - (mean[d] as number);
    for (let p = 0; p < dim; p++) {
      const rp = row[p] as number;
      for (let q = p; q < dim; q++) cov[p * dim + q] = (cov[p * dim + q] as number) + rp * (row[q] as number);
    }
  }
  const denom = Math.max(count - 1, 1);
  for (let p = 0; p < dim; p++) {
    for (let q = p; q < dim; q++) {
      const value = (cov[p * dim + q] as number) / denom;
      cov[p * dim + q] = value;
      cov[q * dim + p] = value;
    }
  }
  const { values, vectors } = symmetricEigen(cov, dim);
  const total = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const kept = Math.min(k, dim);
  return {
    dim,
    mean,
    components: vectors.slice(0, kept),
    variances: values.slice(0, kept),
    explained: values.slice(0, kept).map((x) => (total > 0 ? Math.max(x, 0) / total : 0)),
  };
}
