#!/usr/bin/env node
// Fidelity: trains the reference preset in VAE Studio (CLI, default backend)
// and the PyTorch reference of the same model on the same MNIST files, and
// prints their test losses side by side.
//
//   node bench/fidelity.mjs [--epochs N] [--train-limit N] [--test-limit N] [--backend B]
//
// Needs the build (npm run build) and Debian's python3-torch for the reference.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { torchEnv } from './step-bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '1' },
    'train-limit': { type: 'string' },
    'test-limit': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const limits = [
  ...(values['train-limit'] ? ['--train-limit', values['train-limit']] : []),
  ...(values['test-limit'] ? ['--test-limit', values['test-limit']] : []),
];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-fidelity-'));
console.error(`VAE Studio: keras-blog, ${values.epochs} epoch(s), backend ${values.backend}…`);
const ours = spawnSync(
  process.execPath,
  [
    path.join(root, 'bin', 'vae-studio.js'),
    'train',
    '--preset',
    'keras-blog',
    '--epochs',
    values.epochs,
    '--backend',
    values.backend,
    '--data-dir',
    dataDir,
    '--json',
    ...limits,
  ],
  // Without this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: users' machines lack them.
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: torchEnv() },
);
fs.rmSync(dataDir, { recursive: true, force: true });
if (ours.status !== 0) {
  console.error('VAE Studio training failed.');
  process.exit(1);
}
const studio = JSON.parse(ours.stdout);

console.error(`PyTorch reference, ${values.threads} thread(s)…`);
const torch = spawnSync(
  '/usr/bin/python3',
  [
    path.join(root, 'bench', 'torch_vae.py'),
    '--epochs',
    values.epochs,
    '--threads',
    values.threads,
    ...limits,
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (torch.status !== 0) {
  console.error('The PyTorch reference failed (is python3-torch installed? apt-get install python3-torch).');
  process.exit(1);
}
const lines = torch.stdout.trim().split('\n');
const reference = JSON.parse(lines[lines.length - 1]);

console.log(
  `backend: ${studio.backend} (${studio.device}); PyTorch ${reference.torch}, ${reference.threads} thread(s)`,
);
console.log('epoch  studio test loss  pytorch test loss  difference  studio s/epoch  pytorch s/epoch');
for (const e of studio.epochs) {
  const r = reference.epochs.find((x) => x.epoch === e.epoch);
  const diff = r ? ((e.test.loss - r.test_loss) / r.test_loss) * 100 : NaN;
  console.log(
    `${String(e.epoch).padStart(5)}  ${e.test.loss.toFixed(2).padStart(16)}  ${(r?.test_loss ?? NaN).toFixed(2).padStart(17)}` +
      `  ${`${diff >= 0 ? '+' : ''}${diff.toFixed(2)}%`.padStart(10)}  ${e.seconds.toFixed(1).padStart(14)}  ${(r?.seconds ?? NaN).toFixed(1).padStart(15)}`,
  );
}
