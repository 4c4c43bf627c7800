#!/usr/bin/env node
// Compiles each AssemblyScript module in wasm/ (see wasm/README.md) into
// dist/node/src-main/training/kernels/wasm/, twice: plain SIMD and relaxed SIMD
// (fused multiply-add). Offline: the compiler is the assemblyscript package.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'wasm');
const out = path.join(root, 'dist', 'node', 'src-main', 'training', 'kernels', 'wasm');

// 64 KiB pages. The host grows the memory to what a run needs; 4 GiB is wasm32's ceiling.
const common = [
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--converge',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  // Bytes below 1024 belong to the thread pool (its control block: src-main/training/kernels/threads.ts).
  '--memoryBase',
  '1024',
  '--maximumMemory',
  '65536',
  '--config',
  path.join(source, 'tsconfig.json'),
];

const modules = fs
  .readdirSync(source)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .map((name) => name.slice(0, -3));

fs.mkdirSync(out, { recursive: true });
let failed = false;
for (const name of modules) {
  for (const [suffix, features] of [
    ['', 'simd,threads'],
    ['.fma', 'simd,threads,relaxed-simd'],
  ]) {
    const target = path.join(out, `${name}${suffix}.wasm`);
    const { error, stderr } = await asc.main([
      path.join(source, `${name}.ts`),
      '--outFile',
      target,
      '--enable',
      features,
      ...common,
    ]);
    if (error) {
      failed = true;
      process.stderr.write(`build-wasm: ${name}${suffix}: ${error.message}\n${stderr.toString()}\n`);
    }
  }
}
if (failed) process.exit(1);
console.log(`build-wasm: ${modules.length} module(s) → ${path.relative(root, out)}`);
