/**
 * Run in a child process by lazy-load.spec.ts: serves one request through a real lip with
 * tracing on or off (argv[2]) and prints which OpenTelemetry and prom-client modules the process
 * loaded (and whether the country database reader was, which only access.geoip with country rules
 * loads), as JSON.
 */
import { createRequire } from 'node:module';
import { configFrom } from '../helpers/config.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { InMemory } from './otel-child-sink.js';

const tracing = process.argv[2] === 'on';
const config = configFrom([
  'server: { host: 127.0.0.1, port: 0 }',
  `observability: { tracing: { enabled: ${tracing} } }`,
  'backends: [{ id: stub, kind: localstub }]',
].join('\n'));
const server = new LipServer(createRuntime(config), createLogger({ level: 'info', format: 'json', stream: new InMemory() }));
await server.listen('127.0.0.1', 0);
const res = await fetch(`${server.url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'stub:echo', messages: [{ role: 'user', content: 'hi' }] }),
});
await res.text();
await server.shutdown(1_000);
const loaded = Object.keys(createRequire(import.meta.url).cache);
const packages = [...new Set(loaded.map((p) => /node_modules\/(@opentelemetry\/[^/]+|prom-client|mmdb-lib)\//.exec(p)?.[1]).filter((p): p is string => p !== undefined))].sort();
process.stdout.write(JSON.stringify({ status: res.status, packages }));
