import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import {
  EMULATOR_AWS, startAnthropicEmulator, startBedrockEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator,
} from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Token counts through the official SDKs: Anthropic `messages.countTokens`, Gemini
 * `models.countTokens` and Responses `inputTokens.count`. The route's first candidate counts the
 * call as it would send it, in its own protocol (the upstream sees its own count call, only the
 * fields that call takes); a backend without a count call, or an upstream without the endpoint,
 * gives lip's own estimate, marked as one; failures answer in the client's error envelope.
 */
describe('e2e: token counts', () => {
  let claude: Emulator;
  let gemini: Emulator;
  let responses: Emulator;
  let chat: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  let google: GoogleGenAI;
  let openai: OpenAI;
  before(async () => {
    [claude, gemini, responses, chat, bedrock] = await Promise.all([startAnthropicEmulator(), startGeminiEmulator(), startOpenAIResponsesEmulator(), startOpenAIChatEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gemini-key-0123456789 }`,
      `  - { id: oai, kind: openai-responses, base_url: "${responses.url}", api_key: openai-key-0123456789 }`,
      `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
      bedrockRow('br', bedrock),
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n'), 'routing: { default_route: "stub:stub-default" }'));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), gemini?.close(), responses?.close(), chat?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    for (const emu of [claude, gemini, responses, chat, bedrock]) emu.reset();
  });
  const params = (model: string) => ({
    model, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'How many tokens is this question?' }],
    tools: [{ name: 'f', description: 'a tool', input_schema: { type: 'object' as const, properties: {} } }],
  });

  describe('Anthropic clients', () => {
    it('an Anthropic backend counts with the routed model and the backend key, only the fields count_tokens takes', async () => {
      claude.enqueue({ usage: { input: 1234, output: 0 } });
      const res = await anthropic.messages.countTokens(params('claude:claude-sonnet-4-6')).withResponse();
      expect(res.data).to.deep.equal({ input_tokens: 1234 });
      expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
      expect(res.response.headers.get('x-lip-backend')).to.equal('claude:claude-sonnet-4-6');
      const sent = claude.requests[0]!;
      expect([sent.method, sent.path, sent.key]).to.deep.equal(['POST', '/v1/messages/count_tokens', 'upstream-key-0123456789']);
      expect(sent.body.model).to.equal('claude-sonnet-4-6');
      expect(sent.body.tools[0].name).to.equal('f');
      expect(sent.body.system).to.deep.equal([{ type: 'text', text: 'Be brief.' }]);
      expect(Object.keys(sent.body).sort()).to.deep.equal(['messages', 'model', 'system', 'tool_choice', 'tools']);
      expect(sent.headers['anthropic-beta']).to.equal(undefined);
    });

    it('a thinking budget is counted as sent (the missing max_tokens does not cut it away)', async () => {
      await anthropic.messages.countTokens({ ...params('claude:claude-sonnet-4-6'), thinking: { type: 'enabled', budget_tokens: 2048 } });
      expect(claude.requests[0]!.body.thinking).to.deep.equal({ type: 'enabled', budget_tokens: 2048 });
    });

    it('counts structured output, a top-level cache_control (on the last block) and speed as sent', async () => {
      const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
      await anthropic.messages.countTokens({
        ...params('claude:claude-sonnet-4-6'), cache_control: { type: 'ephemeral' }, speed: 'fast', output_config: { format: { type: 'json_schema', schema } },
      });
      const sent = claude.requests[0]!.body;
      expect(sent).to.deep.include({ speed: 'fast', output_config: { format: { type: 'json_schema', schema } } });
      expect(sent.messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'How many tokens is this question?', cache_control: { type: 'ephemeral' } }] }]);
    });

    it('forwards the beta features the client asks for (a 1M context is counted as such)', async () => {
      claude.enqueue({ usage: { input: 900_000, output: 0 } });
      const res = await anthropic.beta.messages.countTokens({ ...params('claude:claude-sonnet-4-6'), betas: ['context-1m-2025-08-07'] });
      expect(res.input_tokens).to.equal(900_000);
      expect(claude.requests[0]!.headers['anthropic-beta']).to.equal('context-1m-2025-08-07,token-counting-2024-11-01'); // the SDK adds its own
    });

    it('a Gemini backend counts the translated request with :countTokens (system instruction and tools included)', async () => {
      gemini.enqueue({ usage: { input: 77, output: 0 } });
      const res = await anthropic.messages.countTokens(params('gem:gemini-2.5-flash')).withResponse();
      expect(res.data).to.deep.equal({ input_tokens: 77 });
      expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
      const sent = gemini.requests[0]!;
      expect([sent.path, sent.key]).to.deep.equal(['/v1beta/models/gemini-2.5-flash:countTokens', 'gemini-key-0123456789']);
      const request = sent.body.generateContentRequest;
      expect(request.model).to.equal('models/gemini-2.5-flash');
      expect(request.contents).to.deep.equal([{ role: 'user', parts: [{ text: 'How many tokens is this question?' }] }]);
      expect(request.systemInstruction).to.deep.equal({ parts: [{ text: 'Be brief.' }] });
      expect(request.tools[0].functionDeclarations[0].name).to.equal('f');
    });

    it('a Bedrock backend counts the Converse form with CountTokens (signed), and a model that cannot count gets an estimate', async () => {
      bedrock.enqueue({ usage: { input: 64, output: 0 } });
      const model = 'anthropic.claude-sonnet-4-20250514-v1:0';
      const res = await anthropic.messages.countTokens(params(`br:${model}`)).withResponse();
      expect(res.data).to.deep.equal({ input_tokens: 64 });
      const sent = bedrock.requests[0]!;
      expect(sent.path).to.equal(`/model/${encodeURIComponent(model)}/count-tokens`);
      expect(sent.key).to.equal(EMULATOR_AWS.accessKeyId); // SigV4, checked by the emulator
      expect(Object.keys(sent.body.input.converse).sort()).to.deep.equal(['messages', 'system', 'toolConfig']);
      expect(sent.body.input.converse.system).to.deep.equal([{ text: 'Be brief.' }]);

      bedrock.enqueue({ status: 400, error: { message: "The provided model doesn't support counting tokens.", type: 'ValidationException' } });
      const nova = await anthropic.messages.countTokens(params('br:amazon.nova-pro-v1:0')).withResponse();
      expect(nova.response.headers.get('x-lip-token-count')).to.equal('estimate');
      bedrock.enqueue({ status: 400, error: { message: 'messages.0: malformed', type: 'ValidationException' } });
      const refused = await anthropic.messages.countTokens(params(`br:${model}`)).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(Anthropic.BadRequestError);
    });

    it('an OpenAI Chat backend (no count call) gives an estimate, marked as such, and asks no upstream', async () => {
      const res = await anthropic.messages.countTokens(params('chat:gpt-4o')).withResponse();
      expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate');
      expect(res.data.input_tokens).to.be.greaterThan(5).and.lessThan(200);
      expect((res.data as unknown as { estimated?: boolean }).estimated).to.equal(true);
      expect(chat.requests).to.have.length(0);
    });

    it('answers an estimate when the route leads to a backend without counts (here the default localstub route)', async () => {
      const res = await anthropic.messages.countTokens(params('whatever')).withResponse();
      expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate');
      expect(res.data.input_tokens).to.be.greaterThan(5).and.lessThan(200);
      expect(claude.requests).to.have.length(0);
    });

    it('an upstream without the endpoint (404) gives an estimate', async () => {
      claude.enqueue({ status: 404, error: { message: 'Not found' } });
      const res = await anthropic.messages.countTokens(params('claude:claude-sonnet-4-6')).withResponse();
      expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate');
      expect((res.data as unknown as { estimated?: boolean }).estimated).to.equal(true);
      expect(claude.requests).to.have.length(1);
    });

    it('an upstream error and an invalid body answer in Anthropic\'s error envelope', async () => {
      claude.enqueue({ status: 400, error: { message: 'messages: too many' } });
      const upstream = await anthropic.messages.countTokens(params('claude:claude-sonnet-4-6')).catch((e: unknown) => e) as InstanceType<typeof Anthropic.BadRequestError>;
      expect(upstream).to.be.instanceOf(Anthropic.BadRequestError);
      expect(upstream.message).to.contain('messages: too many');
      const bad = await fetch(`${lip.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: '{"model":"x","messages":"nope"}' });
      expect(bad.status).to.equal(400);
      const body = await bad.json() as { type: string; error: { type: string; message: string } };
      expect(body.type).to.equal('error');
      expect(body.error.type).to.equal('invalid_request_error');
      expect(body.error.message).to.contain('messages');
    });

    it('a client that goes away aborts the upstream count', async () => {
      claude.enqueue({ fault: { stall: 'before_headers' } });
      const abort = new AbortController();
      const counted = anthropic.messages.countTokens(params('claude:claude-sonnet-4-6'), { signal: abort.signal }).catch((e: unknown) => e);
      for (let i = 0; i < 200 && claude.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(claude.requests).to.have.length(1);
      const closed = claude.nextClose();
      abort.abort();
      expect((await closed).path).to.equal('/v1/messages/count_tokens');
      expect(await counted).to.be.instanceOf(Error);
    });
  });

  describe('Gemini clients', () => {
    const contents = [{ role: 'user', parts: [{ text: 'Count me, please.' }] }];

    it('models.countTokens is counted by a Gemini backend with the model from the path', async () => {
      gemini.enqueue({ usage: { input: 9, output: 0 } });
      const res = await google.models.countTokens({ model: 'gem:gemini-2.5-flash', contents });
      expect(res.totalTokens).to.equal(9);
      const sent = gemini.requests[0]!;
      expect(sent.path).to.equal('/v1beta/models/gemini-2.5-flash:countTokens');
      expect(sent.body.generateContentRequest.contents).to.deep.equal(contents);
    });

    it('an Anthropic backend counts the translated contents', async () => {
      claude.enqueue({ usage: { input: 31, output: 0 } });
      const res = await google.models.countTokens({ model: 'claude:claude-sonnet-4-6', contents });
      expect(res.totalTokens).to.equal(31);
      const sent = claude.requests[0]!;
      expect(sent.path).to.equal('/v1/messages/count_tokens');
      expect(sent.body.messages).to.deep.equal([{ role: 'user', content: [{ type: 'text', text: 'Count me, please.' }] }]);
    });

    it('a whole generateContentRequest counts its system instruction; its errors name the field under it', async () => {
      const ok = await fetch(`${lip.url}/v1beta/models/stub-default:countTokens`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
        body: JSON.stringify({ generateContentRequest: { model: 'models/stub-default', contents, systemInstruction: { parts: [{ text: 'word '.repeat(400) }] } } }),
      });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('x-lip-token-count')).to.equal('estimate');
      const counted = await ok.json() as { totalTokens: number; estimated: boolean };
      expect(counted.estimated).to.equal(true);
      expect(counted.totalTokens).to.be.greaterThan(300);

      const bad = await fetch(`${lip.url}/v1beta/models/stub-default:countTokens`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
        body: JSON.stringify({ generateContentRequest: { contents: [{ role: 'user', parts: 'nope' }] } }),
      });
      expect(bad.status).to.equal(400);
      const error = await bad.json() as { error: { status: string; message: string } };
      expect(error.error.status).to.equal('INVALID_ARGUMENT');
      expect(error.error.message).to.match(/^generateContentRequest\.contents/);
    });

    it('contents beside a generateContentRequest is a 400 in Gemini\'s envelope', async () => {
      const res = await fetch(`${lip.url}/v1beta/models/stub-default:countTokens`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
        body: JSON.stringify({ contents, generateContentRequest: { contents } }),
      });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.contain('not both');
    });
  });

  describe('OpenAI Responses clients', () => {
    it('inputTokens.count is counted by a Responses backend, without the fields input_tokens refuses', async () => {
      responses.enqueue({ usage: { input: 55, output: 0 } });
      const res = await openai.responses.inputTokens.count({
        model: 'oai:gpt-5.4-mini', instructions: 'Be brief.', input: 'How many tokens?',
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} }, strict: false }],
      });
      expect(res).to.deep.equal({ object: 'response.input_tokens', input_tokens: 55 });
      const sent = responses.requests[0]!;
      expect([sent.path, sent.key]).to.deep.equal(['/v1/responses/input_tokens', 'openai-key-0123456789']);
      expect(sent.body.model).to.equal('gpt-5.4-mini');
      expect(sent.body.instructions).to.equal('Be brief.');
      expect(sent.body).to.not.have.any.keys('stream', 'store', 'max_output_tokens');
    });

    it('a missing model takes the default route, and a backend in another protocol counts it', async () => {
      const estimate = await openai.responses.inputTokens.count({ input: 'How many tokens?' });
      expect((estimate as unknown as { estimated?: boolean }).estimated).to.equal(true);
      claude.enqueue({ usage: { input: 12, output: 0 } });
      const res = await openai.responses.inputTokens.count({ model: 'claude:claude-sonnet-4-6', input: 'How many tokens?' });
      expect(res.input_tokens).to.equal(12);
      expect(claude.requests[0]!.body.messages[0].content).to.deep.equal([{ type: 'text', text: 'How many tokens?' }]);
    });

    it('previous_response_id counts the stored conversation before the new input', async () => {
      responses.enqueue({ text: 'The capital is Paris.' });
      const first = await openai.responses.create({ model: 'oai:gpt-5.4-mini', input: 'What is the capital of France?' });
      responses.enqueue({ usage: { input: 40, output: 0 } });
      const res = await openai.responses.inputTokens.count({ model: 'oai:gpt-5.4-mini', previous_response_id: first.id, input: 'And of Italy?' });
      expect(res.input_tokens).to.equal(40);
      const texts = JSON.stringify(responses.requests[1]!.body.input);
      expect(texts).to.contain('What is the capital of France?').and.contain('The capital is Paris.').and.contain('And of Italy?');

      const unknown = await openai.responses.inputTokens.count({ model: 'oai:gpt-5.4-mini', previous_response_id: 'resp_unknown', input: 'x' }).catch((e: unknown) => e);
      expect(unknown).to.be.instanceOf(OpenAI.NotFoundError);
    });

    it('an upstream error answers in OpenAI\'s envelope', async () => {
      responses.enqueue({ status: 429, error: { message: 'slow down' } });
      const err = await openai.responses.inputTokens.count({ model: 'oai:gpt-5.4-mini', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err).to.be.instanceOf(OpenAI.APIError);
      expect(err.status).to.equal(429);
      expect(err.message).to.contain('slow down');
    });
  });
});
