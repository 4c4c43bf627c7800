#!/usr/bin/env node
// `vae-studio runs list` against a database of many runs.
//
//   npm run build:node && node bench/cli-list-bench.mjs [--runs 10000] [--repeat 3]
//
// Seeds a data folder with N finished runs and another with 30, then times, as a user's
// shell would run them (a new process each time): `--help` (the CLI's start alone),
// `runs list` of 30 runs, `runs list --limit 20` and `runs list` of all N runs. Wall time and,
// where /usr/bin/time exists, the process's CPU time (user + system): on a machine shared
// with other work the wall time includes waiting for a core, the CPU time does not.
// Target: all N runs listed in under 1 s. Numbers, not assertions.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedRuns } from './seed-runs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const count = option('runs', 10_000);
const repeat = option('repeat', 3);
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function once(args) {
  const cli = [path.join(root, 'bin', 'vae-studio.js'), ...args];
  const started = process.hrtime.bigint();
  const child = timeBin
    ? spawnSync(timeBin, ['-f', '%U %S', process.execPath, ...cli], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(process.execPath, cli, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`vae-studio ${args.join(' ')} failed:\n${child.stderr}`);
  const times = timeBin ? /([\d.]+) ([\d.]+)\s*$/.exec(child.stderr) : null;
  return {
    wallMs,
    cpuMs: times ? (Number(times[1]) + Number(times[2])) * 1000 : null,
    lines: child.stdout.split('\n').length - 1,
  };
}

function measure(label, args) {
  const runs = Array.from({ length: repeat }, () => once(args));
  const best = (key) => Math.min(...runs.map((r) => r[key] ?? Infinity));
  const cpu = best('cpuMs');
  console.log(
    `${label.padEnd(34)} wall ${runs.map((r) => Math.round(r.wallMs)).join(' / ')} ms` +
      (Number.isFinite(cpu) ? `, CPU best ${Math.round(cpu)} ms` : '') +
      `  (${runs[0].lines} lines)`,
  );
}

const seeding = Date.now();
const many = await seedRuns(count);
const few = await seedRuns(30);
console.log(
  `Seeded ${count.toLocaleString('en')} runs in ${((Date.now() - seeding) / 1000).toFixed(1)} s; ` +
    `machine load ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores\n`,
);
try {
  measure('vae-studio --help', ['--help']);
  measure('runs list, 30 runs', ['runs', 'list', '--data-dir', few]);
  measure(`runs list --limit 20 of ${count}`, ['runs', 'list', '--limit', '20', '--data-dir', many]);
  measure(`runs list, ${count} runs`, ['runs', 'list', '--data-dir', many]);
  measure(`runs list --json, ${count} runs`, ['runs', 'list', '--json', '--data-dir', many]);
  console.log(`\nmachine load after: ${os.loadavg()[0].toFixed(2)}`);
} finally {
  fs.rmSync(many, { recursive: true, force: true });
  fs.rmSync(few, { recursive: true, force: true });
}
