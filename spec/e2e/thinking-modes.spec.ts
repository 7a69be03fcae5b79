import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * An Anthropic client's thinking mode reaches an Anthropic backend as the client asked for it:
 * adaptive thinking (what Claude Code sends for the newest models) stays adaptive with its effort,
 * a budget stays a budget. Adaptive thinking used to reach the upstream as no thinking at all.
 */
describe('e2e: thinking modes and beta features from an Anthropic client to an Anthropic backend', () => {
  let emu: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    emu = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: claude, kind: anthropic, base_url: "${emu.url}", api_key: upstream-key-0123456789, headers: { Anthropic-Beta: row-beta-1 } }`, 'routing: { default_route: "claude:claude-opus-4-6" }'));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());
  const messages = [{ role: 'user' as const, content: 'Think about it.' }];

  for (const stream of [false, true]) {
    it(`sends adaptive thinking and its effort as the client wrote them (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const params = { model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'adaptive' as const }, output_config: { effort: 'high' as const }, temperature: 1 };
      const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      expect(message.role).to.equal('assistant');
      const sent = emu.requests[0]!.body;
      expect(sent.thinking).to.deep.equal({ type: 'adaptive' });
      expect(sent.output_config).to.deep.equal({ effort: 'high' });
      expect(sent.max_tokens).to.equal(4000);
      expect(sent).to.not.have.property('temperature'); // refused beside thinking
    });
  }

  it('sends the beta features the client opted into (anthropic-beta), after the ones the row configures', async () => {
    await client.beta.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 100, messages, betas: ['context-1m-2025-08-07', 'interleaved-thinking-2025-05-14'] });
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 100, messages });
    expect(emu.requests.map((r) => r.headers['anthropic-beta'])).to.deep.equal(['row-beta-1,context-1m-2025-08-07,interleaved-thinking-2025-05-14', 'row-beta-1']);
    const bad = await fetch(`${lip.url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-beta': 'ok-1, bad beta' },
      body: JSON.stringify({ model: 'claude:claude-opus-4-6', max_tokens: 10, messages }),
    });
    expect(bad.status).to.equal(400);
    const body = await bad.json() as { type: string; error: { type: string; message: string } };
    expect(body).to.deep.include({ type: 'error' });
    expect(body.error.message).to.contain('anthropic-beta: not a beta feature name: "bad beta');
  });

  it('sends thinking.display and between_tools as the client wrote them (newer models omit the thinking text unless asked)', async () => {
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'adaptive', display: 'summarized' } });
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' } });
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'between_tools' } });
    expect(emu.requests.map((r) => r.body.thinking)).to.deep.equal([
      { type: 'adaptive', display: 'summarized' },
      { type: 'enabled', budget_tokens: 2048, display: 'omitted' },
      { type: 'between_tools' },
    ]);
  });

  it('a Responses client that asks for reasoning summaries gets the thinking text shown (display: summarized)', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await openai.responses.create({ model: 'claude:claude-opus-4-6', input: 'Think.', reasoning: { effort: 'high', summary: 'auto' } });
    expect(emu.requests[0]!.body.thinking).to.deep.include({ type: 'enabled', display: 'summarized' });
  });

  it('keeps a budget a budget, and adaptive without an effort sends none', async () => {
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'enabled', budget_tokens: 2048 } });
    await client.messages.create({ model: 'claude:claude-opus-4-6', max_tokens: 4000, messages, thinking: { type: 'adaptive' } });
    expect(emu.requests.map((r) => [r.body.thinking, r.body.output_config])).to.deep.equal([
      [{ type: 'enabled', budget_tokens: 2048 }, undefined],
      [{ type: 'adaptive' }, undefined],
    ]);
  });
});

/**
 * A thinking budget from a client whose protocol thinks by budget (Claude Code's "ultrathink" is
 * 31,999 tokens) reaches a model that thinks by effort as the nearest effort, instead of nothing
 * (the model's default).
 */
describe('e2e: an Anthropic client\'s thinking budget on an effort-based upstream', () => {
  let emu: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: gpt, kind: openai-chat, base_url: "${emu.url}", api_key: upstream-key-0123456789 }`, 'routing: { default_route: "gpt:gpt-5.4" }'));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });

  for (const [budget, effort] of [[4000, 'low'], [10000, 'medium'], [31999, 'high']] as const) {
    it(`budget_tokens ${budget} reaches an openai-chat upstream as reasoning_effort ${effort}`, async () => {
      emu.reset();
      const message = await client.messages.stream({ model: 'gpt:gpt-5.4', max_tokens: 40000, messages: [{ role: 'user', content: 'Think.' }], thinking: { type: 'enabled', budget_tokens: budget } }).finalMessage();
      expect(message.role).to.equal('assistant');
      expect(emu.requests[0]!.body).to.include({ reasoning_effort: effort });
    });
  }
});
