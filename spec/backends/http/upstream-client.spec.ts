import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { emptyCall } from '../../../lib/canonical/index.js';
import { proxyEnvironment } from '../../../lib/backends/http/index.js';
import { backendOf, drain, runtimeFor, startForwardProxy, startOpenAIChatEmulator, type Emulator, type ForwardProxy } from '../../helpers/emulators/index.js';

const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
const target = { model: 'm', candidateKey: 'b:m' };

describe('backends/http/upstream-client: the proxy environment', () => {
  let emu: Emulator;
  let proxy: ForwardProxy;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    proxy = await startForwardProxy();
  });
  beforeEach(() => {
    emu.reset();
    proxy.seen.length = 0;
  });
  after(async () => {
    await emu.close();
    await proxy.close();
  });

  /** One request through a fresh runtime with this environment and http_client section. */
  const viaEnv = async (env: NodeJS.ProcessEnv, httpClient = '') => {
    const runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }`, env, httpClient);
    try {
      return await drain(backendOf(runtime, 'b').stream(call, target));
    } finally {
      await runtime.close();
    }
  };

  it('tunnels through HTTP_PROXY', async () => {
    const { error } = await viaEnv({ HTTP_PROXY: proxy.url });
    expect(error).to.equal(undefined);
    expect(proxy.seen).to.deep.equal([{ method: 'CONNECT', target: `127.0.0.1:${emu.port}` }]);
    expect(emu.requests).to.have.length(1);
  });

  it('honours the lower-case http_proxy too', async () => {
    await viaEnv({ http_proxy: proxy.url });
    expect(proxy.seen).to.have.length(1);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const { error } = await viaEnv({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    expect(error).to.equal(undefined);
    expect(proxy.seen).to.deep.equal([]);
    expect(emu.requests).to.have.length(1);
  });

  it('ignores the environment when http_client.trust_environment_proxy is false', async () => {
    const { error } = await viaEnv({ HTTP_PROXY: proxy.url }, 'http_client: { trust_environment_proxy: false }');
    expect(error).to.equal(undefined);
    expect(proxy.seen).to.deep.equal([]);
  });

  it('uses HTTPS_PROXY only for https upstreams', async () => {
    await viaEnv({ HTTPS_PROXY: proxy.url });
    expect(proxy.seen).to.deep.equal([]);
    expect(emu.requests).to.have.length(1);
  });

  it('reports an unreachable proxy as a retryable connect failure', async () => {
    const { error } = await viaEnv({ HTTP_PROXY: 'http://127.0.0.1:9' });
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_CONNECT', retryable: true });
  });

  it('times out a connection that never completes its handshake with LIP_ERR_UPSTREAM_CONNECT_TIMEOUT', async () => {
    // A TCP listener that never answers the TLS ClientHello: the connect phase never ends.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "https://127.0.0.1:${port}/v1", api_key: k-0123456789 }`, {}, 'http_client: { connect_timeout: 150ms }');
    try {
      const { error } = await drain(backendOf(runtime, 'b').stream(call, target));
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_CONNECT_TIMEOUT', retryable: true });
    } finally {
      await runtime.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('reads the proxy variables lower case first, as curl does', () => {
    expect(proxyEnvironment({ HTTP_PROXY: 'http://a', http_proxy: 'http://b', NO_PROXY: 'x' })).to.deep.equal({ httpProxy: 'http://b', httpsProxy: '', noProxy: 'x' });
  });
});
