import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { float32Base64 } from '../../../lib/wire/index.js';
import { backendOf, runtimeFor, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../../helpers/emulators/index.js';
import { emulatedEmbedding } from '../../helpers/emulators/script.js';

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

  // Found by probing: `lip inventory --live` said "the upstream lists no models" (exit 0) for a 200
  // whose JSON was not a model list at all.
  it('fails a 200 model list without its array as malformed; Gemini may leave out an empty list', async () => {
    let body = '{}';
    const json = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => json.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(json.address() as AddressInfo).port}`;
    const runtime = runtimeFor([
      `  - { id: oa, kind: openai-chat, base_url: "${origin}/v1", api_key: k-0123456789 }`,
      `  - { id: rs, kind: openai-responses, base_url: "${origin}/v1", api_key: k-0123456789 }`,
      `  - { id: an, kind: anthropic, base_url: "${origin}", api_key: k-0123456789 }`,
      `  - { id: br, kind: bedrock, region: us-east-1, base_endpoint: "${origin}", disable_https: true, access_key_id: AKIAEXAMPLE, secret_access_key: secret }`,
      `  - { id: ge, kind: gemini, base_url: "${origin}", api_key: k-0123456789 }`,
    ].join('\n'));
    const list = (id: string) => backendOf(runtime, id).listModels!().catch((e: unknown) => e);
    try {
      for (const shape of ['{}', '{"object":"list","data":null}', '{"error":{"message":"nope"}}', '[]', '"models"']) {
        body = shape;
        for (const id of ['oa', 'rs', 'an', 'br']) {
          const err = await list(id);
          expect(err, `${id} ${shape}`).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
          expect((err as Error).message).to.equal(`backend "${id}": the model list has no data array`);
        }
      }
      for (const shape of ['{"error":{"message":"nope"}}', '{"object":"list","data":[{"id":"m"}]}', '{"models":{}}', '[]']) {
        body = shape;
        expect(await list('ge'), shape).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
      }
      body = '{}';
      expect(await list('ge')).to.deep.equal([]);
      body = '{"data":[{"id":"m1"}]}';
      expect(await list('oa')).to.deep.equal(['m1']);
    } finally {
      await runtime.close();
      json.close();
    }
  });

  // Found by probing the operator side: `lip inventory --live` against an upstream that took the
  // connection and never answered reported "could not reach the upstream" when its deadline passed.
  it('a model list that does not come before the caller\'s deadline is a timeout, not an unreachable upstream', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const runtime = runtimeFor(`  - { id: quiet, kind: openai-chat, base_url: "http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`);
    try {
      const err = await backendOf(runtime, 'quiet').listModels!(AbortSignal.timeout(200)).catch((e: unknown) => e);
      expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_HEADERS_TIMEOUT' });
      expect((err as Error).message).to.equal('backend "quiet": the model list did not come in time');
    } finally {
      await runtime.close();
      silent.closeAllConnections();
      silent.close();
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

  describe('embed', () => {
    let gemini: Emulator;
    before(async () => { gemini = await startGeminiEmulator(); });
    after(() => gemini.close());
    beforeEach(() => { gemini.reset(); emu.reset(); });
    const signal = () => new AbortController().signal;

    it('sends more inputs than one call takes in several calls (at most four at a time) and keeps their order', async () => {
      const runtime = runtimeFor(`  - { id: g, kind: gemini, base_url: "${gemini.origin}", api_key: k-0123456789 }`);
      try {
        const inputs = Array.from({ length: 250 }, (_, i) => `text ${i}`);
        const result = await backendOf(runtime, 'g').embed!({ model: 'g:e', inputs }, 'text-embedding-004', signal());
        expect(result.vectors).to.deep.equal(inputs.map((t) => emulatedEmbedding(t)));
        expect(gemini.requests.map((r) => r.body.requests.length).sort((a, b) => b - a)).to.deep.equal([100, 100, 50]);
      } finally {
        await runtime.close();
      }
    });

    it('fails an answer that does not hold one finite vector per input as malformed, an error status as classified', async () => {
      const answers = [
        { data: [{ index: 0, embedding: [1] }] },
        { data: [{ index: 0, embedding: [1] }, { index: 1, embedding: float32Base64([Number.NaN]) }] },
        { data: [{ index: 0, embedding: [] }, { index: 1, embedding: [1] }] },
        { nothing: true },
      ];
      let next = 0;
      const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers[next++])));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const runtime = runtimeFor([
        `  - { id: a, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`,
        `  - { id: b, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }`,
      ].join('\n'));
      try {
        for (const problem of ['1 vectors for 2 inputs', 'not a finite number', 'vector 0 is empty', 'holds no vectors']) {
          const err = await backendOf(runtime, 'a').embed!({ model: 'a:e', inputs: ['x', 'y'] }, 'e', signal()).catch((e: unknown) => e) as Error;
          expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', retryable: false });
          expect(err.message).to.contain(problem);
        }
        emu.enqueue({ status: 503, error: { message: 'busy' } });
        expect(await backendOf(runtime, 'b').embed!({ model: 'b:e', inputs: ['x'] }, 'e', signal()).catch((e: unknown) => e))
          .to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 503, retryable: true });
      } finally {
        await runtime.close();
        server.close();
      }
    });

    it('aborts the upstream call with its signal', async () => {
      const runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }`);
      try {
        emu.enqueue({ fault: { stall: 'before_headers' } });
        const abort = new AbortController();
        const pending = backendOf(runtime, 'b').embed!({ model: 'b:e', inputs: ['x'] }, 'e', abort.signal).catch((e: unknown) => e);
        for (let i = 0; i < 200 && emu.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        const closed = emu.nextClose();
        abort.abort();
        expect((await closed).path).to.equal('/v1/embeddings');
        expect(await pending).to.be.instanceOf(Error);
      } finally {
        await runtime.close();
      }
    });
  });
});
