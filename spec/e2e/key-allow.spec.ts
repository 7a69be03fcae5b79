import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import { until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const LIMITED = 'limited-key-0123456789';
const OPEN = 'open-key-0123456789ab';

/**
 * `auth.api_keys[].allow` through the official SDKs against a real lip: a key is served only by
 * the candidates its patterns name (others of a route are skipped; none is a 403 in the
 * client's envelope), for generations, embeddings, token counts, model lists and batch
 * requests; a key without `allow` is not limited.
 */
describe('e2e: which candidates an API key may use (auth.api_keys[].allow)', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let claude: Emulator;
  let lip: RunningLip;
  let limited: OpenAI;
  let open: OpenAI;
  before(async () => {
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789, models: [gpt-4o, gpt-4o-mini] }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789, models: [claude-sonnet-4-6] }
`, `auth: { api_keys: [ { id: limited, key: "${LIMITED}", allow: ["oc:gpt-4o-mini"] }, { id: open, key: "${OPEN}" } ] }
model_aliases: [ { pattern: "^fast$", replacement: "oc:gpt-4o-mini" }, { pattern: "^smart$", replacement: "an:claude-sonnet-4-6" } ]
server: { host: 127.0.0.1, port: 0, batch_concurrency: 1 }`));
    limited = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: LIMITED, maxRetries: 0 });
    open = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OPEN, maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close()]);
  });
  beforeEach(() => {
    chat.reset();
    claude.reset();
  });

  it('a model the key may not use is a 403 (PermissionDeniedError) naming the route; no upstream is called', async () => {
    const err = await rejection(limited.chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
    expect(err.message).to.contain('API key "limited" may not use any candidate of this route (an:claude-sonnet-4-6)');
    expect((err.error as { code: string }).code).to.equal('LIP_ERR_AUTH_CANDIDATE_FORBIDDEN');
    expect([chat.requests.length, claude.requests.length]).to.deep.equal([0, 0]);
    // In the Messages protocol too.
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: LIMITED, maxRetries: 0 });
    const refused = await anthropic.messages.create({ model: 'smart', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(Anthropic.PermissionDeniedError);
  });

  it('a route with some allowed candidates skips the others; an alias to an allowed one works; a key without allow is not limited', async () => {
    chat.enqueue({ text: 'mini' }, { text: 'fast' });
    const res = await limited.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-lip-route': 'an:claude-sonnet-4-6|oc:gpt-4o|oc:gpt-4o-mini' } }).withResponse();
    expect(res.response.headers.get('x-lip-backend')).to.equal('oc:gpt-4o-mini');
    expect(res.data.choices[0]!.message.content).to.equal('mini');
    expect((await limited.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content).to.equal('fast');
    expect(claude.requests).to.have.length(0);
    claude.enqueue({ text: 'anything goes' });
    expect((await open.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content).to.equal('anything goes');
  });

  it('the model lists show a key only what it may use', async () => {
    expect((await limited.models.list()).data.map((m) => m.id)).to.deep.equal(['oc:gpt-4o-mini', 'fast']);
    expect((await open.models.list()).data.map((m) => m.id)).to.deep.equal(['oc:gpt-4o', 'oc:gpt-4o-mini', 'an:claude-sonnet-4-6', 'fast', 'smart']);
    expect((await rejection(limited.models.retrieve('oc:gpt-4o'))).status).to.equal(404);
    expect((await limited.models.retrieve('oc:gpt-4o-mini')).id).to.equal('oc:gpt-4o-mini');
  });

  it('embeddings: a forbidden route is a 403; token counts: a first candidate the key may not use is not asked (lip estimates)', async () => {
    const err = await rejection(limited.embeddings.create({ model: 'oc:text-embedding-3-small', input: 'x' }));
    expect([err.status, (err.error as { code: string }).code]).to.deep.equal([403, 'LIP_ERR_AUTH_CANDIDATE_FORBIDDEN']);
    expect(chat.requests).to.have.length(0);
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: LIMITED, maxRetries: 0 });
    const counted = await anthropic.messages.countTokens({ model: 'smart', messages: [{ role: 'user', content: 'count me please' }] }).withResponse();
    expect(counted.response.headers.get('x-lip-token-count')).to.equal('estimate');
    expect(counted.data.input_tokens).to.be.greaterThan(0);
    expect(claude.requests).to.have.length(0);
  });

  it('a batch request for a model the key may not use fails with the 403 in its line; an allowed one succeeds', async () => {
    chat.enqueue({ text: 'batched' });
    const lines = [
      { custom_id: 'ok', method: 'POST', url: '/v1/chat/completions', body: { model: 'oc:gpt-4o-mini', messages: [{ role: 'user', content: 'a' }] } },
      { custom_id: 'no', method: 'POST', url: '/v1/chat/completions', body: { model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'b' }] } },
    ];
    const file = await limited.files.create({ file: await toFile(Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')), 'in.jsonl'), purpose: 'batch' });
    const batch = await limited.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let done = batch;
    await until(async () => ['completed', 'failed'].includes((done = await limited.batches.retrieve(batch.id)).status), 'the batch to end');
    expect(done.request_counts).to.deep.equal({ total: 2, completed: 1, failed: 1 });
    const errors = (await (await limited.files.content(done.error_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { error: { code: string } } } });
    expect(errors.map((e) => [e.custom_id, e.response.status_code, e.response.body.error.code])).to.deep.equal([['no', 403, 'LIP_ERR_AUTH_CANDIDATE_FORBIDDEN']]);
    expect(chat.requests.map((r) => r.body.model)).to.deep.equal(['gpt-4o-mini']);
  });
});
