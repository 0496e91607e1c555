#!/usr/bin/env node
/**
 * Links this package into its own node_modules (node_modules/apc-repro -> ..), so that notebooks import the
 * library by package name: tslab compiles each cell with the notebook's folder as rootDir, where a relative
 * `import '../src/x'` fails. Idempotent; run by the "postinstall" script and by scripts/setup-jupyter.sh.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const name = require(path.join(root, 'package.json')).name;
const link = path.join(root, 'node_modules', name);
const target = '..'; // relative, so the link survives moving or copying the checkout

fs.mkdirSync(path.dirname(link), { recursive: true });
let current = null;
try {
  current = fs.readlinkSync(link);
} catch (err) {
  if (err.code === 'EINVAL') throw new Error(`${link} exists and is not a symbolic link; remove it and rerun`);
  if (err.code !== 'ENOENT') throw err;
}
if (current !== target) {
  if (current !== null) fs.unlinkSync(link);
  fs.symlinkSync(target, link, 'dir');
  console.log(`linked ${path.relative(root, link)} -> ${target}`);
}
