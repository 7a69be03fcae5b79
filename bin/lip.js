#!/usr/bin/env node
// Thin entry: the CLI lives in lib/cli and is compiled into dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

// Exit as soon as the command is done: a server that has drained must not linger on a stray
// handle (stdout and stderr are synchronous for files and pipes, so nothing is lost).
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (err) => { process.stderr.write(`lip: ${err?.stack ?? err}\n`); process.exit(1); },
);
