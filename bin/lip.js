#!/usr/bin/env node
// Thin entry: the CLI lives in lib/cli and is compiled into dist/ by `npm install` (prepare).
import { setFlagsFromString } from 'node:v8';
import { catchEarlySignals } from '../dist/cli/early-signals.js';

// First: `lip serve` keeps a SIGHUP, SIGTERM or SIGINT that comes while it loads (importing the
// CLI and the server alone takes a second or more) and acts on it once it serves; without this,
// a `systemctl reload` right after a start killed the service. Other commands keep the defaults.
catchEarlySignals(process.argv.slice(2));

// Start-up (config, schemas, modules) allocates mostly long-lived objects: left alone, V8 grows
// the young generation to its 32 MiB maximum while it runs and never gives that back to an idle
// process (about 20 MiB of RSS). The young generation stays at its initial size until start-up
// is over, then may grow again as traffic needs (the growth factor is read at each growth; the
// maximum, unlike it, is fixed once the heap exists). See docs/benchmarks.md, "Idle memory".
setFlagsFromString('--semi-space-growth-factor=1');
// WebAssembly stays on V8's baseline compiler (Liftoff). The only wasm lip runs is undici's HTTP
// parser (llhttp), and optimising its one huge parse function with TurboFan, on the first
// upstream response, takes 30-40 MiB of compiler memory at once: RSS jumps by up to 35 MiB and
// glibc keeps much of it. The baseline code measured no slower per request (one parse per
// response; docs/benchmarks.md, "200 slow streams: where the peak came from").
setFlagsFromString('--liftoff-only');
setTimeout(() => setFlagsFromString('--semi-space-growth-factor=2'), 3_000).unref();
const { main } = await import('../dist/cli/main.js');

// Exit as soon as the command is done: a server that has drained must not linger on a stray
// handle (stdout and stderr are synchronous for files and pipes, so nothing is lost).
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (err) => { process.stderr.write(`lip: ${err?.stack ?? err}\n`); process.exit(1); },
);
