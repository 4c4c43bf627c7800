#!/usr/bin/env node
// Whole-epoch benchmark, as the user sees it: `vae-studio train --json` on full
// MNIST for each preset and thread count, and PyTorch's reference of the same
// model (bench/torch_vae.py, Debian's python3-torch) in the same run at 1 and 2
// threads, without this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE.
//
//   npm run build && node bench/epoch-bench.mjs [--presets keras-blog,pytorch-example]
//        [--threads 1,2] [--epochs 2] [--no-torch] [--json]
//
// Ours: the last epoch's `seconds` (training, test pass and figures: what the
// user waits) and the training steps alone (train images / samplesPerSecond).
// PyTorch: its last epoch's training seconds (no test pass, no figures), so
// the ratio is conservative. The first epoch warms up; use --epochs 2 or more.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { torchEnv } from './step-bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'vae-studio.js');

/** PyTorch's arguments for each preset's model (shared/hyperparams.ts). */
const torchModel = {
  'keras-blog': ['--arch', 'mlp', '--hidden', '256', '--latent', '2', '--batch-size', '64'],
  'pytorch-example': ['--arch', 'mlp', '--hidden', '400', '--latent', '20', '--batch-size', '128'],
  'keras-conv': ['--arch', 'conv', '--hidden', '16', '--latent', '2', '--batch-size', '128'],
};

function ours(preset, threads, epochs) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-epoch-bench-'));
  try {
    const res = spawnSync(
      process.execPath,
      [bin, 'train', '--preset', preset, '--epochs', String(epochs), '--threads', String(threads)].concat([
        '--data-dir',
        dataDir,
        '--json',
      ]),
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    if (res.status !== 0)
      return { error: (res.stderr || '').trim().split('\n').pop() || `exit ${res.status}` };
    const out = JSON.parse(res.stdout);
    const last = out.epochs[out.epochs.length - 1];
    const images = out.hyperparams.trainLimit ?? 60000;
    return {
      epochSeconds: last.seconds,
      stepsSeconds: images / last.samplesPerSecond,
      device: out.device,
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function torch(preset, threads, epochs) {
  const res = spawnSync(
    '/usr/bin/python3',
    [path.join(root, 'bench', 'torch_vae.py'), ...torchModel[preset], '--epochs', String(epochs)].concat([
      '--threads',
      String(threads),
    ]),
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24, env: torchEnv() },
  );
  const line = (res.stdout || '').trim().split('\n').pop();
  if (res.status !== 0 || !line)
    return { error: (res.stderr || '').trim().split('\n').pop() || `exit ${res.status}` };
  const r = JSON.parse(line);
  return { epochSeconds: r.epochs[r.epochs.length - 1].seconds };
}

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'keras-blog,pytorch-example' },
    threads: { type: 'string', default: '1,2' },
    epochs: { type: 'string', default: '2' },
    'no-torch': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const presets = values.presets.split(',');
for (const p of presets) {
  if (!torchModel[p]) {
    console.error(`Unknown preset "${p}"; use ${Object.keys(torchModel).join(', ')}.`);
    process.exit(2);
  }
}
const threads = values.threads.split(',').map(Number);
const epochs = Number(values.epochs);

const rows = [];
for (const preset of presets) {
  const reference = {};
  if (!values['no-torch']) for (const t of [1, 2]) reference[t] = torch(preset, t, epochs);
  for (const t of threads) {
    const r = ours(preset, t, epochs);
    rows.push({
      preset,
      threads: t,
      ...r,
      torch1t: reference[1]?.epochSeconds,
      torch2t: reference[2]?.epochSeconds,
    });
    if (!values.json) console.error(`${preset} ${t}t: ${JSON.stringify(rows[rows.length - 1])}`);
  }
}

if (values.json) {
  console.log(JSON.stringify({ machine: machine(), rows }, null, 2));
} else {
  console.log(`\n${machine()}`);
  console.log('preset           thr  s/epoch  steps s  epoch/steps  torch 1t  torch 2t  × torch 2t');
  for (const r of rows) {
    if (r.error) {
      console.log(`${r.preset.padEnd(16)} ${String(r.threads).padStart(3)}  error: ${r.error}`);
      continue;
    }
    const f = (v, d = 2) => (v === undefined ? '—' : v.toFixed(d));
    console.log(
      [
        r.preset.padEnd(16),
        String(r.threads).padStart(3),
        f(r.epochSeconds).padStart(7),
        f(r.stepsSeconds).padStart(8),
        f(r.epochSeconds / r.stepsSeconds).padStart(12),
        f(r.torch1t).padStart(9),
        f(r.torch2t).padStart(9),
        (r.torch2t ? f(r.epochSeconds / r.torch2t) : '—').padStart(11),
      ].join(' '),
    );
  }
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.availableParallelism()} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`;
}
