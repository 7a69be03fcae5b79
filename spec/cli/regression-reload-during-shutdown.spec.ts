import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { Reloader } from '../../lib/cli/reloader.js';
import type { Config } from '../../lib/config/index.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import { createLogger } from '../../lib/observability/logger.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';
import { bundles, useTestFeatures } from '../extensions/test-feature.js';

/** A promise and what resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

const turns = async (n = 1) => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

/**
 * Found in review: reloads are checked against a stopping server only when one is asked for
 * (SIGHUP, POST /admin/config/reload), but a reload already running awaits its new features'
 * start() (up to 10 s) before it swaps the runtime in. One that was waiting when SIGTERM came
 * still swapped in its runtime after drain() or shutdown() had begun: new stores and recorder
 * under the requests the shutdown was about to cancel, and a runtime the shutdown never closed.
 * LipServer.reload now refuses while the server is stopping (the new runtime closed, the running
 * one kept), and the Reloader refuses on entry: both report the reload failed.
 */
describe('regression: a reload running when the server begins to stop swaps nothing in', function () {
  this.timeout(30_000);
  useTestFeatures();
  const config = (version: number): Config => testConfig('  - { id: s, kind: localstub, models: [m], text: "x" }',
    `routing: { default_route: "s:m" }\nfeatures:\n  - { id: test-hooks, config: { version: ${version} } }`);
  const ask = (lip: RunningLip) => httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  const quiet = () => createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
  let log: string[];
  let held: ReturnType<typeof gate>;
  let lip: RunningLip | undefined;
  beforeEach(async () => {
    log = [];
    held = gate();
    bundles['test-hooks'] = (_services, c) => {
      const v = c.version as number;
      return {
        start: async () => { log.push(`start ${v}`); if (v === 2) await held.promise; },
        stop: () => { log.push(`stop ${v}`); },
        submitHooks: [{ id: 'h', run: (call) => { log.push(`hook ${v}`); return call; } }],
      } satisfies FeatureBundle;
    };
    lip = await startLip(config(1));
  });
  afterEach(async () => { await lip?.close(); lip = undefined; });

  /** A reload to version 2 whose start() is held; resolves (with its outcome to come) once it is held there. */
  async function reloadHeld(reloader: Reloader) {
    const outcome = reloader.reload('api');
    while (!log.includes('start 2')) await turns();
    return { outcome };
  }

  it('shutdown begun while the new runtime starts: reported failed, the old runtime is the one closed, the new one closed too', async () => {
    const server = lip!.server;
    const before = server.runtimeNow;
    const reloading = await reloadHeld(new Reloader(server, () => config(2), quiet()));
    const stopping = server.shutdown(1_000);
    held.open();
    expect(await reloading.outcome).to.deep.include({ status: 'failed', trigger: 'api', error: 'the server is shutting down', changed: [] });
    await stopping;
    lip = undefined;
    expect(server.runtimeNow).to.equal(before);
    expect(log.filter((l) => l.startsWith('stop')).sort()).to.deep.equal(['stop 1', 'stop 2']);
  });

  it('drain() begun while the new runtime starts: the new one is closed at once, the running one keeps serving (its stores open) until the shutdown', async () => {
    const server = lip!.server;
    const before = server.runtimeNow;
    const reloading = await reloadHeld(new Reloader(server, () => config(2), quiet()));
    server.drain();
    held.open();
    expect(await reloading.outcome).to.deep.include({ status: 'failed', error: 'the server is shutting down' });
    expect(server.runtimeNow).to.equal(before);
    expect(log).to.include('stop 2').and.not.include('stop 1');
    expect((await ask(lip!)).status).to.equal(200);
    expect(log.at(-1)).to.equal('hook 1');
    await lip!.close();
    lip = undefined;
    expect(log.filter((l) => l === 'stop 1')).to.have.length(1);
  });

  it('a reload asked once the server is stopping reads no file and builds nothing', async () => {
    const server = lip!.server;
    let loads = 0;
    server.drain();
    const outcome = await new Reloader(server, () => { loads++; return config(2); }, quiet()).reload('signal');
    expect(outcome).to.deep.include({ status: 'failed', trigger: 'signal', error: 'the server is shutting down' });
    expect([loads, log.includes('start 2')]).to.deep.equal([0, false]);
  });
});
