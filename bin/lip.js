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
const [{ main }, { commandWord }, { endWhenOutputFails, exitWhenWritten }] = await Promise.all([
  import('../dist/cli/main.js'), import('../dist/cli/command-word.js'), import('../dist/cli/exit-when-written.js'),
]);

// `lip serve` exits as soon as it is done: a server that has drained must not linger on a stray
// handle, nor wait on a log reader that stopped reading. Every other command exits once what it
// printed has been written: its output (an inventory or a replay report of megabytes) is the
// result, and on Linux a pipe whose reader is slower than lip takes only 64 KiB at once; the rest
// waits in libuv, and a process.exit() at once cut it there, with exit 0.
const serving = commandWord(process.argv.slice(2)) === 'serve';
// A reader that leaves (`lip replay | head -1`) ends a command quietly, exit 141 (as SIGPIPE would).
if (!serving) endWhenOutputFails();
const end = (code) => (serving ? process.exit(code) : exitWhenWritten(code));
main(process.argv.slice(2)).then(
  (code) => end(typeof code === 'number' ? code : 0),
  (err) => { process.stderr.write(`lip: ${err?.stack ?? err}\n`); return end(1); },
);
