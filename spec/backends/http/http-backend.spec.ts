import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backendOf, runtimeFor, startOpenAIChatEmulator, type Emulator } from '../../helpers/emulators/index.js';

describe('backends/http/http-backend', () => {
  let emu: Emulator;
  before(async () => { emu = await startOpenAIChatEmulator(); });
  after(() => emu.close());

  it('reports the row\'s models, else the kind\'s defaults, and closes more than once', async () => {
    const runtime = runtimeFor(`  - { id: a, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789, models: [x, y] }\n  - { id: b, kind: anthropic, base_url: "${emu.url}", api_key: k-0123456789 }`);
    expect(backendOf(runtime, 'a')).to.include({ kind: 'openai-chat' });
    expect(backendOf(runtime, 'a').models).to.deep.equal(['x', 'y']);
    expect(backendOf(runtime, 'b').models).to.deep.equal(['claude-sonnet-4-6']);
    await runtime.close();
    await runtime.close();
  });

  it('fails a model list that is not JSON, or an error status, with classified errors', async () => {
    const html = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const runtime = runtimeFor([
      `  - { id: a, kind: gemini, base_url: "${emu.origin}", api_key: k-0123456789 }`,
      `  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:${(html.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`,
    ].join('\n'));
    try {
      // The chat emulator has no Gemini route: a 404 with a JSON error body.
      expect(await backendOf(runtime, 'a').listModels!().catch((e: unknown) => e)).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 404, retryable: false });
      expect(await backendOf(runtime, 'b').listModels!().catch((e: unknown) => e)).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
    } finally {
      await runtime.close();
      html.close();
    }
  });

  it('needs a usable key to list models where the kind requires one', async () => {
    const runtime = runtimeFor(`  - { id: a, kind: openai-chat, base_url: "${emu.url}" }`);
    try {
      const err = await backendOf(runtime, 'a').listModels!().catch((e: unknown) => e);
      expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS' });
    } finally {
      await runtime.close();
    }
  });
});
