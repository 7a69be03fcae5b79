#!/usr/bin/env node
// Thin entry: the CLI lives in lib/cli and is compiled into dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`lip: ${err?.stack ?? err}\n`); process.exitCode = 1; },
);
