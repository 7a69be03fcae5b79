import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually } from '../replay/recording-helpers.js';

const KEY = 'cutter-key-0123456789';
/** 400 characters of input: lip's estimate (about four characters a token) is 100 tokens. */
const PROMPT = 'x'.repeat(400);
/** Twenty deltas of 31 characters (about 8 tokens each), 100 ms apart. */
const TEXT = Array.from({ length: 20 }, (_, i) => `word${String(i).padStart(2, '0')} `.repeat(4).padEnd(31, '.'));

/**
 * Found by probing per-key limits: an answer cut after it began (the client left, a shutdown
 * ended it) was charged against `tokens_per_minute` and `budget.max_tokens` only what its
 * upstream had reported by then: nothing from an OpenAI-compatible upstream (its usage comes with
 * the last chunk), Anthropic's input alone (`message_start`, whose `output_tokens` is 1). A client
 * that always cut its streams spent upstream tokens its limits never saw. What the upstream did
 * not report is now lip's estimate (the input as `min_context` estimates it, the output from the
 * characters relayed), marked `token_count: estimate` on the access line.
 */
describe('regression: an answer cut after it began is charged lip\'s estimate of what its upstream did not report', function () {
  this.timeout(20_000);
  let chat: Emulator;
  let anthropic: Emulator;
  let lip: RunningLip;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    anthropic = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }\n  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }\n  - { id: stub, kind: localstub, models: [emb] }`, [
      'logging: { access_log: true }',
      'diagnostics: { enabled: true }',
      `auth: { api_keys: [ { id: cutter, key: "${KEY}", tokens_per_minute: 100000, budget: { max_tokens: 1000000, period: day } } ] }`,
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
    await anthropic?.close();
  });

  const admin = async <T>(path: string): Promise<T> => (await (await fetch(`${lip.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as T;
  const window = async () => (await admin<{ limits: { tokens_in_window: number }[] }>('/admin/limits')).limits[0]!.tokens_in_window;
  const spent = async () => (await admin<{ budgets: { spent_tokens: number }[] }>('/admin/budgets')).budgets[0]!.spent_tokens;

  /** A streamed request whose client leaves once it has read `until`; its access line and attempt row. */
  async function cut(model: string, requestId: string, until: string): Promise<{ access: Record<string, unknown>; row: Record<string, unknown>; read: string }> {
    const controller = new AbortController();
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': requestId },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    expect(res.status).to.equal(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let read = '';
    while (!read.includes(until)) read += decoder.decode((await reader.read()).value, { stream: true });
    controller.abort();
    await reader.read().catch(() => undefined);
    const access = await eventually(() => lip.logs.find((l) => l.request_id === requestId && l.message === 'request'), (l) => l !== undefined);
    const rows = (await admin<{ attempts: Record<string, unknown>[] }>(`/admin/attempts?a_leg_id=${res.headers.get('x-lip-a-leg-id')!}`)).attempts;
    return { access: access!, row: rows[0]!, read };
  }

  it('an OpenAI-compatible upstream (no usage before the last chunk): the input and the output relayed are estimated and charged', async () => {
    chat.enqueue({ text: TEXT, usage: { input: 300, output: 400 }, dripMs: 100 });
    const [inWindow, budget] = [await window(), await spent()];
    const { access, row } = await cut('oc:gpt-4o', 'req-cut-openai', 'word01');
    expect(access).to.include({ aborted: true, input_tokens: 100, token_count: 'estimate' });
    // At least the two deltas the client read, at most the whole answer: about eight tokens a delta.
    expect(access.output_tokens).to.be.within(16, 160);
    expect(row).to.include({ outcome: 'cancelled', reason: 'client abort', input_tokens: 100, output_tokens: access.output_tokens });
    const charged = 100 + (access.output_tokens as number);
    expect([(await window()) - inWindow, (await spent()) - budget]).to.deep.equal([charged, charged]);
  });

  it('Anthropic (the input reported in message_start, output_tokens 1): the input as reported, the output relayed estimated', async () => {
    anthropic.enqueue({ text: TEXT, usage: { input: 300, output: 400 }, dripMs: 100 });
    const [inWindow, budget] = [await window(), await spent()];
    const { access, row } = await cut('an:claude-x', 'req-cut-anthropic', 'word01');
    expect(access).to.include({ aborted: true, input_tokens: 300, token_count: 'estimate' });
    expect(access.output_tokens).to.be.within(16, 160);
    expect(row).to.include({ input_tokens: 300, output_tokens: access.output_tokens });
    const charged = 300 + (access.output_tokens as number);
    expect([(await window()) - inWindow, (await spent()) - budget]).to.deep.equal([charged, charged]);
  });

  it('an answer that completes is charged what its upstream reported, not marked', async () => {
    chat.enqueue({ text: TEXT.slice(0, 2), usage: { input: 300, output: 400 } });
    const [inWindow, budget] = [await window(), await spent()];
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': 'req-whole' },
      body: JSON.stringify({ model: 'oc:gpt-4o', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    await res.text();
    const access = await eventually(() => lip.logs.find((l) => l.request_id === 'req-whole' && l.message === 'request'), (l) => l !== undefined);
    expect(access).to.include({ input_tokens: 300, output_tokens: 400 }).and.not.have.property('token_count');
    expect([(await window()) - inWindow, (await spent()) - budget]).to.deep.equal([700, 700]);
  });

  it('the access line marks an embeddings request\'s estimate alike (its answer says x-lip-token-count: estimate)', async () => {
    chat.enqueue({ usage: { input: 7, output: 0 } });
    for (const [model, requestId] of [['stub:emb', 'req-embed-estimated'], ['oc:text-embedding-3-small', 'req-embed-counted']] as const) {
      const res = await fetch(`${lip.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': requestId },
        body: JSON.stringify({ model, input: 'twelve chars' }),
      });
      expect(res.status).to.equal(200);
      await res.text();
    }
    const line = (id: string) => eventually(() => lip.logs.find((l) => l.request_id === id && l.message === 'request'), (l) => l !== undefined);
    expect(await line('req-embed-estimated')).to.include({ input_tokens: 3, token_count: 'estimate' });
    expect(await line('req-embed-counted')).to.include({ input_tokens: 7 }).and.not.have.property('token_count');
  });
});

describe('regression: an answer a shutdown cuts is charged lip\'s estimate of what its upstream did not report', function () {
  this.timeout(20_000);

  it('the access line, written before shutdown() resolves, holds the estimate, marked', async () => {
    const chat = await startOpenAIChatEmulator();
    const lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, [
      'logging: { access_log: true }',
      `auth: { api_keys: [ { id: cutter, key: "${KEY}", tokens_per_minute: 100000 } ] }`,
    ].join('\n')));
    try {
      chat.enqueue({ text: TEXT, usage: { input: 300, output: 400 }, dripMs: 100 });
      const res = await fetch(`${lip.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-request-id': 'req-shutdown' },
        body: JSON.stringify({ model: 'oc:gpt-4o', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let read = '';
      while (!read.includes('word01')) read += decoder.decode((await reader.read()).value, { stream: true });
      expect(await lip.server.shutdown(100)).to.deep.equal({ cancelled: 1 });
      const access = lip.logs.find((l) => l.request_id === 'req-shutdown' && l.message === 'request');
      expect(access).to.include({ input_tokens: 100, token_count: 'estimate' });
      expect(access!.output_tokens).to.be.within(16, 160);
      while (!(await reader.read()).done);
    } finally {
      await lip.close();
      await chat.close();
    }
  });
});
