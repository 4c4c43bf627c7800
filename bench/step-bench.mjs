#!/usr/bin/env node
// Training-step micro-benchmark: ms per step of the reference MLP VAE (batch 64)
// and the Keras conv VAE (batch 128) on tfjs' wasm backend, stock vs our fast
// paths (src-main/training/kernels), against PyTorch (bench/torch_vae.py) with
// the same thread count.
//
//   npx tsc -p tsconfig.node.json && node bench/step-bench.mjs [options]
//
// Options: --models mlp,conv  --configs stock,fast,fast-fma  --repeats 3
//          --steps-mlp 150 --steps-conv 15  --threads 2  --no-torch  --json
//
// Each configuration runs in its own child process (a fresh tfjs, and the
// relaxed-SIMD flag only where asked), round-robin `--repeats` times so that
// the noise of a shared machine spreads over all of them; the table reports
// the median of the runs' median step times. Projected s/epoch = ms/step ×
// ceil(60000 / batch). Peak RSS is the child's (node) or the python process's.
// Exported for the full `npm run bench`: runStepBench(options) → rows.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = process.env.STEP_BENCH_DIST ?? path.join(root, 'dist', 'node', 'src-main', 'training');
const require = createRequire(import.meta.url);

const TRAIN_IMAGES = 60000;

// ---------------------------------------------------------------- child side

function randomArray(size, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

async function child(spec) {
  const { model, config, steps, warmup } = spec;
  if (config === 'fast-fma') {
    require('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-layers'); // gradients of the built-in ops
  const kernels = require(path.join(dist, 'kernels', 'index.js'));
  const gemm = require(path.join(dist, 'kernels', 'gemm.js'));
  const ops = require(path.join(dist, 'ops.js'));
  const { useWasmBackend } = require(path.join(dist, 'kernels', 'wasm-init.js'));
  if (config === 'stock') kernels.unregisterFastKernels();
  else kernels.registerFastKernels();
  if (config === 'fast-fma') gemm.allowRelaxedSimd(true);
  if (!(await useWasmBackend())) throw new Error('wasm backend failed to start');

  const dense = config === 'stock' ? ops.densePlain : ops.dense;
  const optimizer = config === 'stock' ? tf.train.adam(1e-3) : ops.createAdam(1e-3);
  const batch = model === 'conv' ? 128 : 64;
  const latent = 2;
  let seed = 1;
  const glorot = (shape, fanIn, fanOut) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(
      tf.tensor(
        randomArray(size, seed++).map((v) => (2 * v - 1) * limit),
        shape,
      ),
    );
  };
  const zeros = (n) => tf.variable(tf.zeros([n]));
  const P = {};
  let encode;
  let decodeLogits;
  if (model === 'mlp') {
    Object.assign(P, {
      w1: glorot([784, 256], 784, 256),
      b1: zeros(256),
      wm: glorot([256, latent], 256, latent),
      bm: zeros(latent),
      wv: glorot([256, latent], 256, latent),
      bv: zeros(latent),
      wd: glorot([latent, 256], latent, 256),
      bd: zeros(256),
      wo: glorot([256, 784], 256, 784),
      bo: zeros(784),
    });
    encode = (x) => {
      const h = dense(x, P.w1, P.b1, 'relu');
      return [dense(h, P.wm, P.bm, 'linear'), dense(h, P.wv, P.bv, 'linear')];
    };
    decodeLogits = (z) => dense(dense(z, P.wd, P.bd, 'relu'), P.wo, P.bo, 'linear');
  } else {
    // Keras' conv VAE (DESIGN.md §3); conv filters [kh, kw, in, out], transposed [kh, kw, out, in].
    Object.assign(P, {
      c1: glorot([3, 3, 1, 32], 9, 9 * 32),
      c1b: zeros(32),
      c2: glorot([3, 3, 32, 64], 9 * 32, 9 * 64),
      c2b: zeros(64),
      fw: glorot([3136, 16], 3136, 16),
      fb: zeros(16),
      wm: glorot([16, latent], 16, latent),
      bm: zeros(latent),
      wv: glorot([16, latent], 16, latent),
      bv: zeros(latent),
      dw: glorot([latent, 3136], latent, 3136),
      db: zeros(3136),
      t1: glorot([3, 3, 64, 64], 9 * 64, 9 * 64),
      t1b: zeros(64),
      t2: glorot([3, 3, 32, 64], 9 * 64, 9 * 32),
      t2b: zeros(32),
      t3: glorot([3, 3, 1, 32], 9 * 32, 9),
      t3b: zeros(1),
    });
    encode = (x) => {
      const b = x.shape[0];
      let h = tf.reshape(x, [b, 28, 28, 1]);
      h = tf.relu(tf.add(tf.conv2d(h, P.c1, 2, 'same'), P.c1b));
      h = tf.relu(tf.add(tf.conv2d(h, P.c2, 2, 'same'), P.c2b));
      h = dense(tf.reshape(h, [b, 3136]), P.fw, P.fb, 'relu');
      return [dense(h, P.wm, P.bm, 'linear'), dense(h, P.wv, P.bv, 'linear')];
    };
    decodeLogits = (z) => {
      const b = z.shape[0];
      let h = tf.reshape(dense(z, P.dw, P.db, 'relu'), [b, 7, 7, 64]);
      h = tf.relu(tf.add(tf.conv2dTranspose(h, P.t1, [b, 14, 14, 64], 2, 'same'), P.t1b));
      h = tf.relu(tf.add(tf.conv2dTranspose(h, P.t2, [b, 28, 28, 32], 2, 'same'), P.t2b));
      h = tf.add(tf.conv2dTranspose(h, P.t3, [b, 28, 28, 1], 1, 'same'), P.t3b);
      return tf.reshape(h, [b, 784]);
    };
  }
  // The engine's loss (src-main/training/loss.ts): BCE from logits, summed over pixels, + KL; mean over the batch.
  const LIMIT = Math.log((1 - 1e-7) / 1e-7);
  const lossOf = (x, eps) => {
    const [mu, lv] = encode(x);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps));
    const l = tf.clipByValue(decodeLogits(z), -LIMIT, LIMIT);
    const softplus = tf.add(tf.relu(l), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
    const recon = tf.mean(tf.sum(tf.sub(softplus, tf.mul(x, l)), 1));
    const kl = tf.mean(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, lv), tf.square(mu)), tf.exp(lv)), 1)));
    return tf.add(recon, kl);
  };
  const batches = [];
  for (let i = 0; i < 8; i++) {
    batches.push([
      tf.tensor2d(randomArray(batch * 784, 100 + i), [batch, 784]),
      tf.randomNormal([batch, latent], 0, 1, 'float32', i),
    ]);
  }
  let losses = [];
  const step = (i) => {
    const [x, eps] = batches[i % batches.length];
    const cost = optimizer.minimize(() => lossOf(x, eps), true);
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  };
  for (let i = 0; i < warmup; i++) step(i);
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  const finite = losses.every(Number.isFinite);
  return {
    model,
    config,
    batch,
    steps,
    msPerStep: median,
    msP10: times[Math.floor(times.length / 10)],
    msMin: times[0],
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    finite,
    fma: config === 'fast-fma' ? gemm.allowRelaxedSimd !== undefined : false,
    tensors: tf.memory().numTensors,
  };
}

// --------------------------------------------------------------- parent side

function parseArgs(argv) {
  const o = {
    models: ['mlp', 'conv'],
    configs: ['stock', 'fast', 'fast-fma'],
    repeats: 3,
    stepsMlp: 150,
    stepsConv: 15,
    threads: 2,
    torch: true,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--models') o.models = next().split(',');
    else if (a === '--configs') o.configs = next().split(',');
    else if (a === '--repeats') o.repeats = Number(next());
    else if (a === '--steps-mlp') o.stepsMlp = Number(next());
    else if (a === '--steps-conv') o.stepsConv = Number(next());
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function runChild(spec) {
  const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = (res.stdout || '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (res.status !== 0 || !line) {
    const why = (res.stderr || '').split('\n').find((l) => /Error|error/.test(l)) || `exit ${res.status}`;
    return { ...spec, error: why.trim() };
  }
  return JSON.parse(line);
}

function runTorch(model, threads, steps) {
  const args = [
    path.join(here, 'torch_vae.py'),
    '--arch',
    model,
    '--threads',
    String(threads),
    '--steps',
    String(steps),
    '--warmup',
    model === 'conv' ? '3' : '20',
  ];
  const res = spawnSync('/usr/bin/python3', args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = (res.stdout || '').trim().split('\n').pop();
  if (res.status !== 0 || !line)
    return {
      model,
      config: `torch ${threads}t`,
      error: (res.stderr || '').trim().split('\n').pop() || `exit ${res.status}`,
    };
  const r = JSON.parse(line);
  return {
    model,
    config: `torch-${threads}t`,
    batch: r.batch_size,
    msPerStep: r.ms_per_step_median,
    msP10: r.ms_per_step_p10,
    peakRssMb: r.peak_rss_mb,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

export function runStepBench(options = {}) {
  const o = { ...parseArgs([]), ...options };
  const runs = new Map();
  const add = (r) => {
    const key = `${r.model}|${r.config}`;
    if (!runs.has(key)) runs.set(key, []);
    runs.get(key).push(r);
  };
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const model of o.models) {
      const steps = model === 'conv' ? o.stepsConv : o.stepsMlp;
      const warmup = model === 'conv' ? 3 : 30;
      for (const config of o.configs) {
        if (model === 'conv' && config === 'stock') {
          // Stock wasm 4.22 has no Conv2DBackpropFilter: it cannot train the conv model at all.
          if (rep === 0)
            add({ model, config, error: 'cannot train: no Conv2DBackpropFilter kernel on wasm' });
          continue;
        }
        add(runChild({ model, config, steps, warmup }));
      }
      if (o.torch) add(runTorch(model, o.threads, model === 'conv' ? Math.max(10, o.stepsConv) : o.stepsMlp));
    }
  }
  const rows = [];
  for (const [, rs] of runs) {
    const ok = rs.filter((r) => !r.error);
    const first = rs[0];
    if (ok.length === 0) {
      rows.push({ model: first.model, config: first.config, error: first.error });
      continue;
    }
    const ms = median(ok.map((r) => r.msPerStep));
    const batch = ok[0].batch;
    rows.push({
      model: first.model,
      config: first.config,
      batch,
      runs: ok.length,
      msPerStep: ms,
      runsMs: ok.map((r) => +r.msPerStep.toFixed(2)),
      sPerEpoch: (ms * Math.ceil(TRAIN_IMAGES / batch)) / 1000,
      samplesPerS: batch / (ms / 1000),
      peakRssMb: Math.max(...ok.map((r) => r.peakRssMb ?? 0)),
      finite: ok.every((r) => r.finite !== false),
    });
  }
  for (const r of rows) {
    const torch = rows.find((t) => t.model === r.model && t.config.startsWith('torch') && !t.error);
    r.ratioToTorch = torch && !r.error ? r.msPerStep / torch.msPerStep : undefined;
  }
  return rows;
}

function printTable(rows) {
  const header = [
    'model',
    'backend/config',
    'batch',
    'ms/step',
    's/epoch',
    'samples/s',
    'peak RSS MB',
    '× torch',
    'runs (ms/step)',
  ];
  const lines = rows.map((r) =>
    r.error
      ? [r.model, `wasm ${r.config}`, '', '—', '—', '—', '—', '—', r.error]
      : [
          r.model,
          r.config.startsWith('torch') ? r.config : `wasm ${r.config}`,
          String(r.batch),
          r.msPerStep.toFixed(2),
          r.sPerEpoch.toFixed(2),
          r.samplesPerS.toFixed(0),
          r.peakRssMb.toFixed(0),
          r.ratioToTorch === undefined ? '' : r.ratioToTorch.toFixed(2),
          r.runsMs.join(' '),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

const isMain = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  if (process.argv[2] === '--child') {
    child(JSON.parse(process.argv[3])).then(
      (r) => console.log(JSON.stringify(r)),
      (e) => {
        console.error(e && e.stack ? e.stack : String(e));
        process.exit(1);
      },
    );
  } else {
    const o = parseArgs(process.argv.slice(2));
    const rows = runStepBench(o);
    if (o.json) console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
  }
}
