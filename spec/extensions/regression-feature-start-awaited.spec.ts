import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import { ExtensionHost } from '../../lib/extensions/extension-host.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import { MemoryStateStore } from '../../lib/extensions/state-store.js';
import { createLogger } from '../../lib/observability/logger.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';
import { bundles, useTestFeatures } from './test-feature.js';

/** A promise with its resolve, and whether it settled. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

/** Lets every pending timer-free step run (I/O callbacks, immediates) a few times over. */
const turns = async (n = 20) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

/**
 * Regression (plugin probe t11): the runtime started its features with `void extensions.start()`,
 * so hooks ran before an async start() had finished, at start-up (the server listened at once)
 * and on a reload (the new runtime took requests, and the old one was stopped, while the new
 * bundle's start() still ran).
 */
describe('extensions: a feature\'s start() finishes before its hooks serve (regression: start() was not awaited)', function () {
  this.timeout(30_000);
  useTestFeatures();
  const config = (version: number): Config => testConfig('  - { id: s, kind: localstub, models: [m], text: "x" }',
    `routing: { default_route: "s:m" }\nfeatures:\n  - { id: test-hooks, config: { version: ${version} } }`);
  const ask = (lip: RunningLip) => httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  let log: string[];
  let gates: Map<number, ReturnType<typeof gate>>;
  let lip: RunningLip | undefined;
  beforeEach(() => {
    log = [];
    gates = new Map([[1, gate()], [2, gate()]]);
    bundles['test-hooks'] = (_services, c) => {
      const v = c.version as number;
      return {
        start: async () => { log.push(`start ${v}`); await gates.get(v)!.promise; log.push(`started ${v}`); },
        stop: () => { log.push(`stop ${v}`); },
        submitHooks: [{ id: 'h', run: (call) => { log.push(`hook ${v}`); return call; } }],
      } satisfies FeatureBundle;
    };
  });
  afterEach(async () => { await lip?.close(); lip = undefined; });

  it('at start-up the server listens only once every start() has finished', async () => {
    let listening = false;
    const starting = startLip(config(1)).then((l) => { listening = true; return (lip = l); });
    await turns();
    expect([listening, log]).to.deep.equal([false, ['start 1']]);
    gates.get(1)!.open();
    const running = await starting;
    expect((await ask(running)).status).to.equal(200);
    expect(log).to.deep.equal(['start 1', 'started 1', 'hook 1']);
  });

  it('on a reload the new configuration serves, and the old bundle stops, only once its start() has finished', async () => {
    gates.get(1)!.open();
    lip = await startLip(config(1));
    const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
    const reloader = new Reloader(lip.server, () => config(2), logger);
    const before = lip.server.runtimeNow;
    const reloading = reloader.reload('api');
    while (!log.includes('start 2')) await turns(1);
    expect((await ask(lip)).status).to.equal(200);
    expect(lip.server.runtimeNow).to.equal(before);
    expect(log).to.deep.equal(['start 1', 'started 1', 'start 2', 'hook 1']);
    gates.get(2)!.open();
    expect((await reloading).status).to.equal('reloaded');
    expect((await ask(lip)).status).to.equal(200);
    expect(log).to.deep.equal(['start 1', 'started 1', 'start 2', 'hook 1', 'started 2', 'stop 1', 'hook 2']);
  });

  it('waits for a start() at most its time: one still running is logged and goes on; its later failure is logged too', async () => {
    const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
    const logger = {
      warn: (message: string, meta?: Record<string, unknown>) => lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
      info: () => undefined,
      error: (message: string, meta?: Record<string, unknown>) => lines.push({ level: 'error', message, ...(meta ? { meta } : {}) }),
    };
    const late = gate();
    const host = new ExtensionHost({
      state: new MemoryStateStore(), logger, startTimeoutMs: 50,
      features: [
        { id: 'quick', bundle: { start: () => undefined } },
        { id: 'slow', bundle: { start: async () => { await late.promise; throw new Error('no database'); } } },
        { id: 'throws', bundle: { start: () => { throw new Error('bad'); } } },
      ],
    });
    await host.start();
    expect(lines).to.deep.equal([
      { level: 'error', message: 'extension feature failed to start', meta: { feature: 'throws', error: 'bad' } },
      { level: 'warn', message: 'extension feature did not start in time; its hooks run without waiting for it', meta: { feature: 'slow', timeout_ms: 50 } },
    ]);
    late.open();
    while (lines.length < 3) await turns(1);
    expect(lines[2]).to.deep.equal({ level: 'error', message: 'extension feature failed to start', meta: { feature: 'slow', error: 'no database' } });
  });
});
