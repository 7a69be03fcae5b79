import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { ended as messageBatchEnded, resultsOf } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const KEY = 'alice-key-0123456789';
const TOKEN_PARAM = 'metadata.lip_resume_token';

/**
 * Found by probing: a resume token in a batch request's body (`metadata.lip_resume_token` of an
 * OpenAI batch line, of a Message Batch's `params`) was sent to the provider with the rest of the
 * metadata, and did not resume anything. Docs say the token never reaches the provider. A batch
 * runs detached from any conversation, so such a request is now an error line (400 naming
 * `metadata.lip_resume_token`), the token taken out before anything else reads the body: no
 * upstream body of a batch carries it.
 */
describe('e2e regression: a resume token in a batch request never reaches the provider', function () {
  this.timeout(60_000);
  let chat: Emulator;
  let responses: Emulator;
  let anthropic: Emulator;
  let lip: RunningLip;
  let token: string;

  before(async () => {
    chat = await startOpenAIChatEmulator();
    responses = await startOpenAIResponsesEmulator();
    anthropic = await startAnthropicEmulator();
    lip = await startLip(testConfig([
      `  - { id: c, kind: openai-chat, base_url: "${chat.url}", api_key: "k" }`,
      `  - { id: rs, kind: openai-responses, base_url: "${responses.url}", api_key: "k" }`,
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: "k" }`,
    ].join('\n'), `routing: { default_route: "c:m" }\nauth: { api_keys: [ { id: alice, key: "${KEY}" } ] }`));
    // A real token of a conversation of this key.
    const first = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'c:m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(first.status).to.equal(200);
    token = first.headers.get('x-lip-resume-token')!;
    expect(token).to.have.length(64);
  });
  beforeEach(() => {
    chat.reset();
    responses.reset();
    anthropic.reset();
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), responses?.close(), anthropic?.close()]);
  });

  /** No request any emulator received carries the token, anywhere in its headers or body. */
  const noUpstreamSawToken = () => {
    for (const request of [...chat.requests, ...responses.requests, ...anthropic.requests]) {
      expect(JSON.stringify(request.headers) + request.raw, `${request.path} to the upstream`).to.not.contain(token);
    }
  };

  it('OpenAI batch: a line with the token is an error line naming it, the others run and no upstream body carries it', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const line = (custom_id: string, url: string, body: Record<string, unknown>) => JSON.stringify({ custom_id, method: 'POST', url, body });
    const chatInput = [
      line('chat-c', '/v1/chat/completions', { model: 'c:m', messages: [{ role: 'user', content: 'hi' }], metadata: { lip_resume_token: token, other: 'x' } }),
      line('chat-rs', '/v1/chat/completions', { model: 'rs:m', messages: [{ role: 'user', content: 'hi' }], store: true, metadata: { lip_resume_token: token } }),
      line('plain', '/v1/chat/completions', { model: 'c:m', messages: [{ role: 'user', content: 'hi' }], metadata: { other: 'x' } }),
    ].join('\n');
    const responsesInput = [
      line('resp-rs', '/v1/responses', { model: 'rs:m', input: 'hi', metadata: { lip_resume_token: token } }),
      line('resp-c', '/v1/responses', { model: 'c:m', input: 'hi', metadata: { lip_resume_token: token } }),
    ].join('\n');
    for (const [endpoint, input, refused, answered] of [
      ['/v1/chat/completions', chatInput, ['chat-c', 'chat-rs'], ['plain']],
      ['/v1/responses', responsesInput, ['resp-c', 'resp-rs'], []],
    ] as const) {
      const file = await client.files.create({ file: await toFile(Buffer.from(input), 'in.jsonl'), purpose: 'batch' });
      const created = await client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
      let batch: Batch = created;
      await until(async () => ['completed', 'failed', 'cancelled', 'expired'].includes((batch = await client.batches.retrieve(created.id)).status), `batch ${created.id} to end`, 30_000);
      expect(batch.status).to.equal('completed');
      expect(batch.request_counts).to.include({ completed: answered.length, failed: refused.length });
      const errors = (await (await client.files.content(batch.error_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
      expect(errors.map((e) => e.custom_id).sort()).to.deep.equal([...refused].sort());
      for (const e of errors) {
        expect(e.response.status_code, e.custom_id).to.equal(400);
        expect(e.response.body.error.param, e.custom_id).to.equal(TOKEN_PARAM);
        expect(e.response.body.error.message, e.custom_id).to.contain(TOKEN_PARAM);
        expect(JSON.stringify(e), 'the error line does not echo the token').to.not.contain(token);
      }
    }
    expect(chat.requests.map((r) => JSON.parse(r.raw).metadata), 'only the line without a token was sent').to.deep.equal([{ other: 'x' }]);
    expect(responses.requests).to.have.length(0);
    noUpstreamSawToken();
  });

  it('Message Batches: a request whose params carry the token is errored naming it; none reaches the provider', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: KEY, maxRetries: 0 });
    const params = (model: string) => ({ model, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }], metadata: { lip_resume_token: token } as unknown as Anthropic.Messages.Metadata });
    const created = await client.messages.batches.create({ requests: [{ custom_id: 'an', params: params('an:claude-sonnet-4-6') }, { custom_id: 'c', params: params('c:m') }] });
    await messageBatchEnded(client, created.id);
    const lines = await resultsOf(client, created.id);
    expect(lines.map((l) => l.custom_id)).to.deep.equal(['an', 'c']);
    for (const l of lines) {
      expect(l.result.type, l.custom_id).to.equal('errored');
      const error = (l.result as { error: { error: { type: string; message: string } } }).error.error;
      expect(error.type).to.equal('invalid_request_error');
      expect(error.message).to.contain(TOKEN_PARAM);
    }
    expect(anthropic.requests).to.have.length(0);
    expect(chat.requests).to.have.length(0);
    noUpstreamSawToken();
  });
});
