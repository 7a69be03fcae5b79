import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./otel-child.ts', import.meta.url));
const LIB = fileURLToPath(new URL('../../lib', import.meta.url));

async function loadedWith(tracing: 'on' | 'off'): Promise<{ status: number; packages: string[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, tracing], { timeout: 150_000, env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
  return JSON.parse(stdout) as { status: number; packages: string[] };
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Disabled means free: with tracing off a lip process that served a request has not loaded a
 * single OpenTelemetry module (nor prom-client with metrics off, nor mmdb-lib without access.geoip);
 * with tracing on it has. And no
 * file in lib/ imports an OpenTelemetry package except as types: the one loader is tracing.ts.
 */
describe('observability: OpenTelemetry loads only when tracing is enabled', function () {
  this.timeout(180_000);
  it('tracing off: no @opentelemetry module (and no prom-client) in the process after a request', async () => {
    expect(await loadedWith('off')).to.deep.equal({ status: 200, packages: [] });
  });

  it('tracing on: the SDK, the OTLP exporter and the propagators are loaded', async () => {
    const { status, packages } = await loadedWith('on');
    expect(status).to.equal(200);
    expect(packages).to.include.members(['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/semantic-conventions']);
    expect(packages).not.to.include('prom-client');
  });

  it('lib/ imports @opentelemetry only as types; tracing.ts requires it at run time', () => {
    const runtime = sources(LIB).filter((file) => /^import (?!type )[^;]*from '@opentelemetry\//m.test(readFileSync(file, 'utf8')));
    expect(runtime).to.deep.equal([]);
    const loaders = sources(LIB).filter((file) => /require\('@opentelemetry\//.test(readFileSync(file, 'utf8'))).map((f) => f.slice(LIB.length + 1));
    expect(loaders).to.deep.equal(['observability/tracing.ts']);
  });
});
