#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm ci` through `prepare`).
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'node', 'src-main', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    'vae-studio: the app is not built yet; run `npm run build` in ' + path.dirname(__dirname) + '\n',
  );
  process.exit(1);
}
require(cli)
  .main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stderr.isTTY,
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write('vae-studio: unexpected error: ' + (error && error.message) + '\n');
      process.exitCode = 1;
    },
  );
