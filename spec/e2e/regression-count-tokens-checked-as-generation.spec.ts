import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * A token count is decoded like a generation, but the canonical checks a generation gets
 * (validateCall: at least one message, tool names, limits) were never run on it: a Gemini
 * `countTokens` with empty `contents` (an Anthropic `count_tokens` with no messages) got a
 * backend-worded 400 from a gemini or anthropic backend and a 200 `totalTokens: 0` estimate from
 * another, and a Responses `input_tokens` with two tools of one name was counted. Every
 * protocol's count is now checked as its generation is (server/handle-count-tokens.ts), the same
 * 400 naming the client's field (under `generateContentRequest.` for that form of a Gemini count),
 * before any upstream call; a Responses count still takes no input (its instructions alone).
 */
describe('e2e regression: a token count is refused where its generation would be', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' }, oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' }, or: { kind: 'openai-responses' } });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${up.lip().url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() as Json };
  }
  const gemini = { 'x-goog-api-key': 'k' };
  const anthropic = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
  const calls = () => Object.values(up.emulators).reduce((n, emu) => n + emu.requests.length, 0);

  it('Gemini: empty contents is the 400 generateContent gives, whatever the backend, and no upstream is asked', async () => {
    for (const backend of ['ge', 'oc', 'an']) {
      const generation = await post(`/v1beta/models/${backend}:m:generateContent`, { contents: [] }, gemini);
      const count = await post(`/v1beta/models/${backend}:m:countTokens`, { contents: [] }, gemini);
      expect(count.status, backend).to.equal(400);
      expect(count.body).to.deep.equal(generation.body);
      expect(count.body.error).to.include({ status: 'INVALID_ARGUMENT', message: 'contents: must contain at least one message' });
      const whole = await post(`/v1beta/models/${backend}:m:countTokens`, { generateContentRequest: { contents: [] } }, gemini);
      expect(whole.status, backend).to.equal(400);
      expect(whole.body.error.message).to.equal('generateContentRequest.contents: must contain at least one message');
    }
    expect(calls()).to.equal(0);
  });

  it('Gemini: a refused tool is named as the client wrote it, under generateContentRequest. in that form', async () => {
    const request = {
      contents: [{ role: 'user', parts: [{ text: 'q' }] }],
      tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object' } }, { name: 'f', parameters: { type: 'object' } }] }],
    };
    const generation = await post('/v1beta/models/ge:m:generateContent', request, gemini);
    expect(generation.status).to.equal(400);
    const whole = await post('/v1beta/models/ge:m:countTokens', { generateContentRequest: request }, gemini);
    expect(whole.status).to.equal(400);
    expect(whole.body.error.message).to.equal(`generateContentRequest.${generation.body.error.message}`);
    expect(calls()).to.equal(0);
  });

  it('Anthropic: count_tokens with no messages is the 400 a Messages request gets, and no upstream is asked', async () => {
    for (const backend of ['an', 'oc']) {
      const generation = await post('/v1/messages', { model: `${backend}:m`, max_tokens: 10, messages: [] }, anthropic);
      const count = await post('/v1/messages/count_tokens', { model: `${backend}:m`, messages: [] }, anthropic);
      expect(count.status, backend).to.equal(400);
      expect(count.body.error).to.deep.equal(generation.body.error);
    }
    expect(calls()).to.equal(0);
  });

  it('Responses: input_tokens with two tools of one name is refused as a response is; instructions alone are still counted', async () => {
    const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }, { type: 'function', name: 'f', parameters: { type: 'object' } }];
    const generation = await post('/v1/responses', { model: 'or:gpt-5', input: 'hi', tools }, gemini);
    const count = await post('/v1/responses/input_tokens', { model: 'or:gpt-5', input: 'hi', tools }, gemini);
    expect(count.status).to.equal(400);
    expect(count.body.error.message).to.equal(generation.body.error.message);
    expect(calls()).to.equal(0);
    up.emulators.or!.enqueue({ usage: { input: 4, output: 0 } });
    const instructions = await post('/v1/responses/input_tokens', { model: 'or:gpt-5', instructions: 'Be brief.' }, gemini);
    expect(instructions).to.deep.equal({ status: 200, body: { object: 'response.input_tokens', input_tokens: 4 } });
  });
});
