/**
 * lip in its own process (tsx, so the sources as they are now), config from the file named by
 * `LIP_BENCH_CONFIG`; prints `listening PORT`. Used by benchmarks/recording.ts, which asks it for
 * its CPU time over IPC (`'cpu'` → `process.cpuUsage()`, all threads of the process, and the
 * serving thread's alone from `/proc/self/task/PID/schedstat`) to count CPU
 * microseconds per exchange, a far steadier number than requests/s on a shared machine.
 * `{ config: FILE }` over IPC reloads it under another config (`--toggle` in recording.ts).
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { parseConfig } from '../lib/config/index.js';
import { LOAD_OPTIONS } from '../lib/cli/config-source.js';
import { createRuntime } from '../lib/core/runtime.js';
import { createLogger } from '../lib/observability/logger.js';
import { LipServer } from '../lib/server/lip-server.js';

const path = process.env.LIP_BENCH_CONFIG!;
const config = parseConfig(readFileSync(path, 'utf8'), path, LOAD_OPTIONS);
const sink = new PassThrough();
sink.resume();
const server = new LipServer(createRuntime(config), createLogger({ level: 'warn', format: 'json', stream: sink }));
await server.listen('127.0.0.1', 0);
process.stdout.write(`listening ${new URL(server.url).port}\n`);
process.on('message', (message: unknown) => {
  // The serving thread's own time too (schedstat, nanoseconds): what a thread beside it takes off.
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage(), main: Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000 });
  // `{ config }`: run under another config file from now on (a reload, as `/admin/config` does).
  else if (typeof message === 'object' && message !== null && 'config' in message) {
    const next = String((message as { config: string }).config);
    void server.reload(createRuntime(parseConfig(readFileSync(next, 'utf8'), next, LOAD_OPTIONS))).then(() => process.send?.({ reloaded: next }));
  }
});
process.on('SIGTERM', () => { void server.shutdown(1_000).then(() => process.exit(0)); });
