import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startForwardProxy, startOpenAIChatEmulator, type Emulator, type ForwardProxy } from '../helpers/emulators/index.js';
import { killLip, serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * `lip serve` tunnels through HTTP_PROXY. undici's proxy agent tunnels with the dispatcher API's
 * `connect`, which only undici's index puts on its dispatchers; lip loads undici's pieces one by
 * one, so a served instance (where nothing else loads the index) failed every proxied request with
 * "could not reach the upstream" (connect is not a function) while the in-process specs, run after
 * others that load the index, passed. A process of its own is the only honest check.
 */
describe('regression: lip serve reaches an upstream through HTTP_PROXY', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let proxy: ForwardProxy;
  let lip: (LipProcess & { url: string }) | undefined;
  let dir: string;

  before(async () => {
    emu = await startOpenAIChatEmulator();
    proxy = await startForwardProxy();
    dir = mkdtempSync(join(tmpdir(), 'lip-proxy-served-'));
    const config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }
routing: { default_route: "oc:m" }
backends:
  - { id: oc, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }
`);
    lip = await serveLip(['--config', config], { HTTP_PROXY: proxy.url, NO_PROXY: '', no_proxy: '' });
  });
  after(async () => {
    await killLip(lip);
    await emu?.close();
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers through the proxy, which saw the tunnel', async () => {
    const res = await httpRequest(`${lip!.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status, res.body).to.equal(200);
    expect(proxy.seen).to.deep.equal([{ method: 'CONNECT', target: `127.0.0.1:${emu.port}` }]);
    expect(emu.requests).to.have.length(1);
  });
});
