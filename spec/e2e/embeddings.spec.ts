import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/**
 * Embeddings through the official SDKs: OpenAI `embeddings.create` (base64 by default, or float)
 * and Gemini `models.embedContent`, answered by openai-chat, openai-responses and gemini
 * backends in their own protocols, across protocols; the route's candidates in failover order,
 * skipping those that cannot embed; failures in the client's error envelope.
 */
describe('e2e: embeddings', () => {
  let chat: Emulator;
  let responses: Emulator;
  let gemini: Emulator;
  let claude: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let google: GoogleGenAI;
  before(async () => {
    [chat, responses, gemini, claude] = await Promise.all([startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startGeminiEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
      `  - { id: oai, kind: openai-responses, base_url: "${responses.url}", api_key: openai-key-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gemini-key-0123456789 }`,
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n'), 'routing: { default_route: "stub:stub-default" }\nmodel_aliases: [{ pattern: "^embed$", replacement: "chat:text-embedding-3-small" }]\nobservability: { metrics: { enabled: true } }\npricing: [{ backend: chat, input: 20, output: 0 }]\ndiagnostics: { enabled: true }'));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), responses?.close(), gemini?.close(), claude?.close()]);
  });
  beforeEach(() => {
    for (const emu of [chat, responses, gemini, claude]) emu.reset();
  });

  describe('OpenAI clients', () => {
    it('embeddings.create (base64 by default, decoded by the SDK) is answered by an openai-chat backend, vectors exact and in order', async () => {
      chat.enqueue({ usage: { input: 7, output: 0 } });
      const res = await openai.embeddings.create({ model: 'chat:text-embedding-3-small', input: ['alpha', 'beta gamma', 'δ'] }).withResponse();
      expect(res.data.data.map((d) => d.embedding)).to.deep.equal(['alpha', 'beta gamma', 'δ'].map((t) => emulatedEmbedding(t)));
      expect(res.data.data.map((d) => [d.object, d.index])).to.deep.equal([['embedding', 0], ['embedding', 1], ['embedding', 2]]);
      expect(res.data).to.deep.include({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 7, total_tokens: 7 } });
      expect(res.response.headers.get('x-lip-backend')).to.equal('chat:text-embedding-3-small');
      expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
      const sent = chat.requests[0]!;
      expect([sent.method, sent.path, sent.key]).to.deep.equal(['POST', '/v1/embeddings', 'chat-key-0123456789']);
      expect(sent.body).to.deep.equal({ model: 'text-embedding-3-small', input: ['alpha', 'beta gamma', 'δ'], encoding_format: 'base64' });
    });

    it('encoding_format float, one string, dimensions and user through an openai-responses backend', async () => {
      const res = await openai.embeddings.create({ model: 'oai:text-embedding-3-large', input: 'one text', encoding_format: 'float', dimensions: 4, user: 'u-7' });
      expect(res.data).to.have.length(1);
      expect(res.data[0]!.embedding).to.deep.equal(emulatedEmbedding('one text', 4));
      expect(responses.requests[0]!.path).to.equal('/v1/embeddings');
      expect(responses.requests[0]!.body).to.deep.include({ input: ['one text'], dimensions: 4, user: 'u-7' });
    });

    it('encoding_format base64 asked explicitly is little-endian float32 bytes, as OpenAI answers', async () => {
      const res = await openai.embeddings.create({ model: 'embed', input: 'bytes', encoding_format: 'base64' });
      const text = res.data[0]!.embedding as unknown as string;
      const bytes = Buffer.from(text, 'base64');
      const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      expect(values).to.deep.equal(emulatedEmbedding('bytes'));
      expect(chat.requests[0]!.body.model).to.equal('text-embedding-3-small'); // the alias
    });

    it('an OpenAI client embeds through a gemini backend (:batchEmbedContents, one request per input, dimensions as outputDimensionality)', async () => {
      const res = await openai.embeddings.create({ model: 'gem:text-embedding-004', input: ['a', 'bb'], dimensions: 3 }).withResponse();
      expect(res.data.data.map((d) => d.embedding)).to.deep.equal([emulatedEmbedding('a', 3), emulatedEmbedding('bb', 3)]);
      expect(res.data.model).to.equal('text-embedding-004');
      expect(res.data.usage.prompt_tokens).to.be.greaterThan(0); // lip's estimate: Gemini reports none
      expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate');
      const sent = gemini.requests[0]!;
      expect([sent.path, sent.key]).to.deep.equal(['/v1beta/models/text-embedding-004:batchEmbedContents', 'gemini-key-0123456789']);
      expect(sent.body).to.deep.equal({
        requests: ['a', 'bb'].map((text) => ({ model: 'models/text-embedding-004', content: { parts: [{ text }] }, outputDimensionality: 3 })),
      });
    });

    it('each embeddings call is an attempt in the metrics: attempts by outcome, input tokens, cost by the input price', async () => {
      const metric = async (line: RegExp) => {
        const text = await (await fetch(`${lip.url}/metrics`)).text();
        return Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop() ?? 0);
      };
      const before = {
        served: await metric(/^lip_attempts_total\{backend="chat",outcome="success"\}/),
        failed: await metric(/^lip_attempts_total\{backend="chat",outcome="failure"\}/),
        cost: await metric(/^lip_cost_total\{backend="chat",model="other"\}/),
        tokens: await metric(/^lip_gen_ai_client_token_usage_sum\{token_type="input",provider="openai"/),
      };
      chat.enqueue({ status: 503, error: { message: 'overloaded' } }, { usage: { input: 50_000, output: 0 } });
      await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': 'chat:m|chat:n' } });
      expect(await metric(/^lip_attempts_total\{backend="chat",outcome="failure"\}/)).to.equal(before.failed + 1);
      expect(await metric(/^lip_attempts_total\{backend="chat",outcome="success"\}/)).to.equal(before.served + 1);
      // 50,000 input tokens at 20 per million.
      expect(await metric(/^lip_cost_total\{backend="chat",model="other"\}/)).to.be.closeTo(before.cost + 1, 1e-9);
      expect(await metric(/^lip_gen_ai_client_token_usage_sum\{token_type="input",provider="openai"/)).to.equal(before.tokens + 50_000);
    });

    it('each call is an attempt row of the request\'s own A-leg (X-LIP-A-Leg-Id): outcome, status, input tokens and cost', async () => {
      chat.enqueue({ status: 503, error: { message: 'overloaded' } }, { usage: { input: 50_000, output: 0 } });
      const res = await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': 'chat:m|chat:n' } }).withResponse();
      const aLegId = res.response.headers.get('x-lip-a-leg-id');
      expect(aLegId).to.be.a('string');
      await lip.server.runtimeNow.continuity.flush();
      const attempts = await httpRequest(`${lip.url}/admin/attempts?a_leg_id=${encodeURIComponent(aLegId!)}`, { method: 'GET' });
      expect(attempts.status).to.equal(200);
      const rows = (JSON.parse(attempts.body) as { attempts: Record<string, unknown>[] }).attempts;
      expect(rows.map((r) => [r.seq, r.candidate_key, r.outcome, r.http_status])).to.deep.equal([[1, 'chat:m', 'swallowed_failure', 503], [2, 'chat:n', 'success', 200]]);
      expect(rows[0]!.reason).to.match(/^LIP_ERR_UPSTREAM_\w+: .*overloaded/);
      // 50,000 input tokens at 20 per million.
      expect(rows[1]).to.include({ principal: 'local', input_tokens: 50_000, output_tokens: null, cost: 1 });
      expect(rows[1]!.finished_at).to.be.a('number');

      // Lip's estimate when the upstream counts nothing (a gemini backend): what a budget is charged.
      const estimated = await openai.embeddings.create({ model: 'gem:text-embedding-004', input: 'twelve chars' }).withResponse();
      await lip.server.runtimeNow.continuity.flush();
      const other = await httpRequest(`${lip.url}/admin/attempts?a_leg_id=${encodeURIComponent(estimated.response.headers.get('x-lip-a-leg-id')!)}`, { method: 'GET' });
      const row = (JSON.parse(other.body) as { attempts: Record<string, unknown>[] }).attempts[0]!;
      expect(row).to.include({ candidate_key: 'gem:text-embedding-004', outcome: 'success', input_tokens: estimated.data.usage.prompt_tokens });
    });

    it('fails over from a 503 to the next candidate (X-LIP-Route), and stops at a 400', async () => {
      chat.enqueue({ status: 503, error: { message: 'overloaded' } });
      const res = await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': 'chat:m|oai:m' } }).withResponse();
      expect(res.response.headers.get('x-lip-backend')).to.equal('oai:m');
      expect(res.data.data[0]!.embedding).to.deep.equal(emulatedEmbedding('x'));
      expect([chat.requests.length, responses.requests.length]).to.deep.equal([1, 1]);

      chat.enqueue({ status: 400, error: { message: 'input too long' } });
      const err = await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': 'chat:m|oai:m' } }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err as Error).message).to.contain('input too long');
      expect(responses.requests).to.have.length(1);
    });

    it('a race or weighted arm is tried as its candidates in the order written; every one failing is a 502 naming each', async () => {
      chat.enqueue({ status: 500 });
      responses.enqueue({ status: 503 });
      const err = await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': 'chat:m!oai:m' } }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).to.equal(502);
      expect(err.message).to.contain('chat:m').and.contain('oai:m');
      expect((err.error as { code: string }).code).to.equal('LIP_ERR_ROUTE_ALL_FAILED');
    });

    it('a candidate that cannot embed (anthropic) is skipped; a route of only such candidates is a 400 naming it', async () => {
      const res = await openai.embeddings.create({ model: 'claude:claude-sonnet-4-6|chat:text-embedding-3-small', input: 'x' }).withResponse();
      expect(res.response.headers.get('x-lip-backend')).to.equal('chat:text-embedding-3-small');
      const err = await openai.embeddings.create({ model: 'claude:claude-sonnet-4-6', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err.error as { code: string }).code).to.equal('LIP_ERR_EMBEDDINGS_UNSUPPORTED');
      expect(err.message).to.contain('claude:claude-sonnet-4-6 (anthropic)');
      expect(claude.requests).to.have.length(0);
    });

    it('a bad body is a 400 naming the field, token arrays a 400 naming input, in OpenAI\'s envelope', async () => {
      const post = (body: unknown) => httpRequest(`${lip.url}/v1/embeddings`, { body: JSON.stringify(body) });
      const wrong = await post({ model: 'chat:m', input: 5 });
      expect(wrong.status).to.equal(400);
      expect(JSON.parse(wrong.body).error).to.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'input', type: 'invalid_request_error' });
      const format = await post({ model: 'chat:m', input: 'x', encoding_format: 'int8' });
      expect(JSON.parse(format.body).error.param).to.equal('encoding_format');
      const tokens = await post({ model: 'chat:m', input: [[1, 2], [3]] });
      expect(tokens.status).to.equal(400);
      expect(JSON.parse(tokens.body).error).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'input' });
      expect(chat.requests).to.have.length(0);
    });

    it('the route is refused as a generation\'s would be: an unknown backend is a 400 naming where it came from (X-LIP-Route)', async () => {
      const err = await openai.embeddings.create({ model: 'nope:m', input: 'x' }, { headers: { 'x-lip-route': 'nope:m' } }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).to.equal(400);
      expect(err.error).to.deep.include({ code: 'LIP_ERR_ROUTE_UNKNOWN_BACKEND', param: 'X-LIP-Route' });
    });

    it('a client that goes away aborts the upstream call', async () => {
      chat.enqueue({ fault: { stall: 'before_headers' } });
      const abort = new AbortController();
      const pending = openai.embeddings.create({ model: 'chat:m', input: 'x' }, { signal: abort.signal }).catch((e: unknown) => e);
      for (let i = 0; i < 200 && chat.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(chat.requests).to.have.length(1);
      const store = lip.server.runtimeNow.continuity;
      const finished = async () => (await store.usage({ groupBy: 'model' })).groups.find((g) => g.group === 'm')?.attempts ?? 0;
      const before = await finished();
      const closed = chat.nextClose();
      abort.abort();
      expect((await closed).path).to.equal('/v1/embeddings');
      expect(await pending).to.be.instanceOf(Error);
      // Its attempt row is finished (cancelled) once the abort reached it.
      for (let i = 0; i < 500 && (await finished()) === before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await finished()).to.equal(before + 1);
    });

    it('a localstub backend answers deterministic unit vectors of the length asked', async () => {
      const one = await openai.embeddings.create({ model: 'stub:stub-default', input: ['same', 'same', 'other'], dimensions: 32 });
      const [a, b, c] = one.data.map((d) => d.embedding);
      expect(a).to.have.length(32);
      expect(a).to.deep.equal(b);
      expect(a).to.not.deep.equal(c);
      expect(Math.hypot(...a!)).to.be.closeTo(1, 1e-6);
    });
  });

  describe('Gemini clients', () => {
    it('models.embedContent with one content is answered by an openai-chat backend (cross-protocol)', async () => {
      const res = await google.models.embedContent({ model: 'chat:text-embedding-3-small', contents: 'hello there' });
      expect(res.embeddings!.map((e) => e.values)).to.deep.equal([emulatedEmbedding('hello there')]);
      expect(chat.requests[0]!.body).to.deep.equal({ model: 'text-embedding-3-small', input: ['hello there'], encoding_format: 'base64' });
    });

    it('models.embedContent with several contents, a task type and a dimensionality through a gemini backend', async () => {
      const res = await google.models.embedContent({
        model: 'gem:gemini-embedding-001', contents: ['first', 'second'], config: { taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 5 },
      });
      expect(res.embeddings!.map((e) => e.values)).to.deep.equal([emulatedEmbedding('first', 5), emulatedEmbedding('second', 5)]);
      const sent = gemini.requests[0]!;
      expect(sent.path).to.equal('/v1beta/models/gemini-embedding-001:batchEmbedContents');
      expect(sent.body.requests.map((r: Record<string, unknown>) => [r.model, r.taskType, r.outputDimensionality])).to.deep.equal([
        ['models/gemini-embedding-001', 'RETRIEVAL_DOCUMENT', 5], ['models/gemini-embedding-001', 'RETRIEVAL_DOCUMENT', 5],
      ]);
    });

    it(':embedContent takes snake_case keys and answers {embedding: {values}}; a bad body is a 400 in Gemini\'s envelope naming the field', async () => {
      const ok = await httpRequest(`${lip.url}/v1beta/models/chat:m:embedContent`, {
        body: JSON.stringify({ content: { parts: [{ text: 'snake' }] }, output_dimensionality: 2, task_type: 'CLUSTERING' }),
      });
      expect(ok.status).to.equal(200);
      expect(JSON.parse(ok.body)).to.deep.equal({ embedding: { values: emulatedEmbedding('snake', 2) } });
      expect(chat.requests[0]!.body.dimensions).to.equal(2);

      const bad = await httpRequest(`${lip.url}/v1beta/models/chat:m:batchEmbedContents`, { body: JSON.stringify({ requests: [{ content: { parts: 'x' } }] }) });
      expect(bad.status).to.equal(400);
      const error = JSON.parse(bad.body).error;
      expect(error.status).to.equal('INVALID_ARGUMENT');
      expect(error.message).to.match(/^requests\[0\]\.content\.parts/);
      const media = await httpRequest(`${lip.url}/v1beta/models/chat:m:embedContent`, { body: JSON.stringify({ content: { parts: [{ inline_data: { mime_type: 'image/png', data: 'aGk=' } }] } }) });
      expect([media.status, JSON.parse(media.body).error.message]).to.deep.equal([400, 'content.parts[0]: only text parts can be embedded']);
    });

    it('a route that cannot embed is a 400 in Gemini\'s envelope', async () => {
      const err = await google.models.embedContent({ model: 'claude:claude-sonnet-4-6', contents: 'x' }).catch((e: unknown) => e) as Error;
      expect(err.message).to.contain('no candidate of the route can embed');
      expect(claude.requests).to.have.length(0);
    });
  });

  describe('with client keys', () => {
    let keyed: RunningLip | undefined;
    afterEach(async () => {
      await keyed?.close();
      keyed = undefined;
    });

    it('needs a key (Gemini: ?key= as for its other routes) and refuses a wrong one in the protocol\'s envelope', async () => {
      const key = 'key-of-alice-0123456789';
      keyed = await startLip(testConfig('  - { id: stub, kind: localstub, models: [stub-default] }', `auth: { api_keys: [ { id: a, key: ${key} } ] }\nlogging: { access_log: true }\nrouting: { unknown_model: reject }`));
      const body = JSON.stringify({ model: 'stub:stub-default', input: 'x' });
      const missing = await httpRequest(`${keyed.url}/v1/embeddings`, { body });
      expect([missing.status, missing.headers['www-authenticate'], JSON.parse(missing.body).error.code]).to.deep.equal([401, 'Bearer realm="lip"', 'LIP_ERR_AUTH_MISSING_KEY']);
      const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: key, maxRetries: 0 });
      expect((await client.embeddings.create({ model: 'stub:stub-default', input: 'x' })).data).to.have.length(1);

      const content = JSON.stringify({ content: { parts: [{ text: 'x' }] } });
      const embedded = await httpRequest(`${keyed.url}/v1beta/models/stub:stub-default:embedContent?key=${key}`, { body: content });
      expect(embedded.status).to.equal(200);
      expect(JSON.parse(embedded.body).embedding.values).to.have.length(16);
      const wrong = await httpRequest(`${keyed.url}/v1beta/models/stub:stub-default:embedContent?key=wrong-key-0123456789`, { body: content });
      expect([wrong.status, JSON.parse(wrong.body).error.status]).to.deep.equal([401, 'UNAUTHENTICATED']);

      // routing.unknown_model: reject refuses an embedding model that no backend lists, as it refuses a generation's.
      const unknown = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect([unknown.status, (unknown.error as { code: string }).code]).to.deep.equal([404, 'model_not_found']); // OpenAI's code for LIP_ERR_ROUTE_UNKNOWN_MODEL

      // The access log names the route, the key and the candidate that served, or the failure.
      const lines = keyed.logs.filter((l) => l.message === 'request');
      expect(lines.find((l) => l.route === '/v1/embeddings' && l.status === 200)).to.deep.include({ key_id: 'a', backend: 'stub:stub-default' });
      expect(lines.find((l) => l.route === '/v1/embeddings' && l.status === 401)).to.deep.include({ error: 'LIP_ERR_AUTH_MISSING_KEY' });
      expect(lines.find((l) => l.route === '/v1beta/models/{model}:embedContent' && l.status === 200)).to.deep.include({ backend: 'stub:stub-default' });
    });
  });
});
