import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { LipEvent } from '../../lib/canonical/index.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';
import { httpRequest } from '../helpers/sse-client.js';

const reply: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' },
];

/** Wire details every frontend must get right beyond the scenarios: model lists, envelopes, limits, paths. */
describe('conformance: wire details of the four frontends', function () {
  let lip: ScriptedLip;
  before(async () => {
    lip = await startScriptedLip({ echo: reply, 'vendor/model-1': reply }, 'model_aliases: [ { pattern: "^smart$", replacement: "script:echo" }, { pattern: "^gpt-.*$", replacement: "script:echo" } ]');
  });
  after(() => lip.close());

  describe('model lists, read by the official SDKs', () => {
    const ids = ['script:echo', 'script:vendor/model-1', 'smart'];

    it('GET /v1/models in OpenAI\'s shape', async () => {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const models = [];
      for await (const m of client.models.list()) models.push(m);
      expect(models).to.deep.equal([
        { id: 'script:echo', object: 'model', created: 0, owned_by: 'script' },
        { id: 'script:vendor/model-1', object: 'model', created: 0, owned_by: 'script' },
        { id: 'smart', object: 'model', created: 0, owned_by: 'lip' },
      ]);
    });

    it('GET /v1/models in Anthropic\'s shape when the request carries anthropic-version', async () => {
      const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false });
      const models = [];
      for await (const m of client.models.list()) models.push(m);
      expect(models.map((m) => [m.type, m.id, m.display_name])).to.deep.equal(ids.map((id) => ['model', id, id]));
      const page = await client.models.list();
      expect(page.has_more).to.equal(false);
    });

    it('GET /v1beta/models in Gemini\'s shape', async () => {
      const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
      const models = [];
      for await (const m of await ai.models.list()) models.push(m);
      expect(models.map((m) => m.name)).to.deep.equal(ids.map((id) => `models/${id}`));
      // The methods lip serves for any model (the scripted backend has no embeddings call).
      expect(models[0]!.supportedActions).to.deep.equal(['generateContent', 'streamGenerateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent']);
    });
  });

  it('model lists need the API key when keys are configured', async () => {
    const keyed = await startScriptedLip({ echo: reply }, 'auth: { api_keys: [ { id: k1, key: "0123456789abcdef-key", principal: tester } ] }');
    try {
      const denied = await httpRequest(`${keyed.url}/v1beta/models`, { method: 'GET' });
      expect(denied.status).to.equal(401);
      expect(denied.headers['www-authenticate']).to.equal('Bearer realm="lip"');
      const ok = await httpRequest(`${keyed.url}/v1beta/models`, { method: 'GET', headers: { 'x-goog-api-key': '0123456789abcdef-key' } });
      expect(ok.status).to.equal(200);
      expect(JSON.parse(ok.body).models.map((m: { name: string }) => m.name)).to.deep.equal(['models/script:echo']);
    } finally {
      await keyed.close();
    }
  });

  describe('decode errors name the field, in each protocol\'s envelope, with status 400', () => {
    const post = (path: string, body: unknown) => httpRequest(`${lip.url}${path}`, { body: JSON.stringify(body) });

    it('Anthropic', async () => {
      const res = await post('/v1/messages', { model: 'script:echo', max_tokens: 5, messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [{ type: 'foo' }] }] });
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body)).to.deep.equal({ type: 'error', error: { type: 'invalid_request_error', message: 'messages[2].content[0].type: unknown block type "foo"' }, request_id: res.headers['request-id'] });
    });

    it('OpenAI Responses', async () => {
      const res = await post('/v1/responses', { model: 'script:echo', input: [{ role: 'user', content: [{ type: 'input_txt', text: 'x' }] }] });
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body)).to.deep.equal({ error: { message: 'input[0].content[0].type: unknown content type "input_txt"', type: 'invalid_request_error', param: 'input[0].content[0].type', code: 'LIP_ERR_REQUEST_INVALID' } });
    });

    it('Gemini', async () => {
      const res = await post('/v1beta/models/script:echo:generateContent', { contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { maxOutputTokens: 'many' } });
      expect(res.status).to.equal(400);
      const error = JSON.parse(res.body).error;
      expect(error).to.deep.include({ code: 400, status: 'INVALID_ARGUMENT', message: 'generationConfig.maxOutputTokens: must be an integer (got "many")' });
      expect(error.details[1]).to.deep.equal({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'generationConfig.maxOutputTokens', description: error.message }] });
    });

    it('the canonical checks too (Anthropic: top_p out of range)', async () => {
      const res = await post('/v1/messages', { model: 'script:echo', max_tokens: 5, top_p: 3, messages: [{ role: 'user', content: 'x' }] });
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error).to.deep.equal({ type: 'invalid_request_error', message: 'top_p: must be a number between 0 and 1' });
    });

    // Anthropic takes a temperature from 0 to 1 and refuses more with a 400; lip took up to 2 (the
    // canonical range, OpenAI's) and told an Anthropic client "between 0 and 2".
    it('Anthropic: a temperature over 1 is refused as the Messages API refuses it, "between 0 and 1"', async () => {
      const res = await post('/v1/messages', { model: 'script:echo', max_tokens: 5, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] });
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error).to.deep.equal({ type: 'invalid_request_error', message: 'temperature: must be a number between 0 and 1' });
      const three = await post('/v1/messages', { model: 'script:echo', max_tokens: 5, temperature: 3, messages: [{ role: 'user', content: 'x' }] });
      expect(JSON.parse(three.body).error.message).to.equal('temperature: must be a number between 0 and 1');
      const one = await post('/v1/messages', { model: 'script:echo', max_tokens: 5, temperature: 1, messages: [{ role: 'user', content: 'x' }] });
      expect(one.status).to.equal(200);
    });
  });

  it('answers an unknown previous_response_id with a 404 naming it, coded previous_response_not_found as OpenAI\'s', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const err = await client.responses.create({ model: 'script:echo', input: 'more', previous_response_id: 'resp_123' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ param: 'previous_response_id', code: 'previous_response_not_found' });
    expect((err as InstanceType<typeof OpenAI.APIError>).message).to.contain("Previous response with id 'resp_123' not found.");
  });

  it('routes a Gemini path whose model id contains ":" and "/"', async () => {
    const result = await CLIENT_DRIVERS.gemini!.run(lip.url, { model: 'script:vendor/model-1', stream: true, messages: [{ role: 'user', text: 'x' }] });
    expect(result).to.deep.include({ text: 'ok', finishReason: 'stop' });
    expect(lip.backend.calls.at(-1)!.target.model).to.equal('vendor/model-1');
  });

  describe('inline media up to the body limit (no small per-part cap)', () => {
    const image = 'A'.repeat(6 * 1024 * 1024); // 6 MiB of base64 in an 8 MiB body
    const bodies: Record<string, [string, unknown]> = {
      'openai-chat': ['/v1/chat/completions', { model: 'script:echo', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${image}` } }] }] }],
      'openai-responses': ['/v1/responses', { model: 'script:echo', input: [{ role: 'user', content: [{ type: 'input_image', image_url: `data:image/png;base64,${image}` }] }] }],
      anthropic: ['/v1/messages', { model: 'script:echo', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: image } }] }] }],
      gemini: ['/v1beta/models/script:echo:generateContent', { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: image } }] }] }],
    };
    for (const [id, [path, body]] of Object.entries(bodies)) {
      it(id, async () => {
        const res = await httpRequest(`${lip.url}${path}`, { body: JSON.stringify(body) });
        expect(res.status, res.body.slice(0, 300)).to.equal(200);
        const part = lip.backend.lastCall.messages[0]!.parts[0] as { data?: string };
        expect(part.data).to.have.length(image.length);
      });
    }
  });

  describe('keepalive comments before the first event do not disturb the SDKs', () => {
    let slow: ScriptedLip;
    before(async () => {
      slow = await startScriptedLip({ slow: [{ type: 'response_started' }, { delayMs: 150 }, ...reply.slice(1)] }, 'server: { host: 127.0.0.1, port: 0, keepalive_interval: 20ms }');
    });
    after(() => slow.close());

    for (const driver of Object.values(CLIENT_DRIVERS)) {
      it(driver.id, async () => {
        const result = await driver.run(slow.url, { model: 'script:slow', stream: true, messages: [{ role: 'user', text: 'x' }] });
        expect(result).to.deep.include({ text: 'ok', finishReason: 'stop' });
        expect(result.error).to.equal(undefined);
      });
    }

    it('(the comments are really there, before the first frame)', async () => {
      const res = await httpRequest(`${slow.url}/v1/messages`, { body: JSON.stringify({ model: 'script:slow', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }) });
      expect(res.body.startsWith(': keepalive\n\n')).to.equal(true);
      expect(res.body.indexOf('event: message_start')).to.be.greaterThan(0);
    });
  });
});
