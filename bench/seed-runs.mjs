// A data folder whose database holds many finished runs (no training), for the benches of
// the runs list (ui-bench.mjs --runs N, cli-list-bench.mjs). Needs `npm run build:node`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A data folder whose database holds `count` finished runs of one or two epochs each. */
export async function seedRuns(count) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-ui-bench-runs-'));
  const dist = path.join(root, 'dist', 'node');
  const { openStore } = await import(path.join(dist, 'src-main', 'store', 'index.js'));
  const { presetById } = await import(path.join(dist, 'shared', 'hyperparams.js'));
  const hp = presetById('keras-blog').hyperparams;
  const store = openStore({ path: path.join(dataDir, 'vae-studio.db'), appVersion: 'bench' });
  const statuses = ['completed', 'stopped', 'failed'];
  for (let r = 0; r < count; r++) {
    const run = store.createRun({
      hyperparams: { ...hp, latentDim: 1 + (r % 20), seed: r },
      datasetHash: 'sha256:mnist',
      name: `bench run ${r}`,
      status: 'running',
    });
    const loss = 150 + (r % 97) / 10;
    store.recordEpoch({
      runId: run.id,
      metrics: {
        epoch: 1,
        train: { loss: loss + 1, recon: loss - 5, kl: 6 },
        test: { loss, recon: loss - 6, kl: 6 },
        beta: 1,
        seconds: 16,
        samplesPerSecond: 3750,
      },
    });
    store.setStatus({ runId: run.id, status: statuses[r % 3] });
  }
  store.close();
  return dataDir;
}
