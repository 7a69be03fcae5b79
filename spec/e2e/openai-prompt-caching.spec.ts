import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const BREAKPOINT = { mode: 'explicit' as const };

/**
 * OpenAI's explicit prompt caching (GPT-5.6 and later) survives the proxy: `prompt_cache_breakpoint`
 * on content parts and `prompt_cache_options` reach an OpenAI backend as written, an Anthropic
 * backend gets the same breakpoints as `cache_control`, and the cache writes OpenAI reports
 * (`cache_write_tokens`, billed at 1.25x) reach OpenAI clients. Marks an Anthropic client set are
 * not sent to an OpenAI backend as breakpoints (older models refuse them).
 */
describe('e2e: OpenAI prompt-cache breakpoints', function () {
  this.timeout(20_000);
  let chat: Emulator;
  let responses: Emulator;
  let claude: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    [chat, responses, claude] = await Promise.all([startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: oai, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
      `  - { id: resp, kind: openai-responses, base_url: "${responses.url}", api_key: resp-key-0123456789 }`,
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
      `  - { id: router, kind: openrouter, base_url: "${chat.url}", api_key: router-key-0123456789 }`,
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), responses?.close(), claude?.close()]);
  });
  beforeEach(() => {
    for (const emu of [chat, responses, claude]) emu.reset();
  });

  const SYSTEM = 'You are a coding agent. '.repeat(20);
  /** A Chat request with a breakpoint at the end of the stable system prompt and on the newest turn. */
  const chatParams = (model: string) => ({
    model,
    prompt_cache_options: { mode: 'explicit' as const, ttl: '30m' as const },
    messages: [
      { role: 'developer' as const, content: [{ type: 'text' as const, text: SYSTEM, prompt_cache_breakpoint: BREAKPOINT }] },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'Fix the bug.', prompt_cache_breakpoint: BREAKPOINT }] },
    ],
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`Chat: breakpoints and prompt_cache_options reach an OpenAI backend, its cache writes reach the client (${mode})`, async () => {
      chat.enqueue({ text: 'Done.', usage: { input: 900, output: 4, cacheRead: 0, cacheWrite: 880 } });
      const p = chatParams('oai:gpt-5.6');
      let usage: OpenAI.CompletionUsage | undefined;
      if (stream) {
        const chunks = await openai.chat.completions.create({ ...p, stream: true, stream_options: { include_usage: true } });
        for await (const chunk of chunks) usage = chunk.usage ?? usage;
      } else {
        usage = (await openai.chat.completions.create(p)).usage;
      }
      const sent = chat.requests[0]!.body;
      expect(sent.prompt_cache_options).to.deep.equal({ mode: 'explicit', ttl: '30m' });
      expect(sent.messages[0]).to.deep.equal({ role: 'system', content: [{ type: 'text', text: SYSTEM, prompt_cache_breakpoint: BREAKPOINT }] });
      expect(sent.messages[1]).to.deep.equal({ role: 'user', content: [{ type: 'text', text: 'Fix the bug.', prompt_cache_breakpoint: BREAKPOINT }] });
      expect(usage!.prompt_tokens).to.equal(900);
      expect(usage!.prompt_tokens_details).to.deep.include({ cache_write_tokens: 880 });
    });

    it(`Responses: a breakpoint on a developer item stays on it (not folded into instructions), cache writes come back (${mode})`, async () => {
      responses.enqueue({ text: 'Done.', usage: { input: 700, output: 4, cacheWrite: 650 } });
      const p = {
        model: 'resp:gpt-5.6',
        input: [
          { type: 'message' as const, role: 'developer' as const, content: [{ type: 'input_text' as const, text: SYSTEM, prompt_cache_breakpoint: BREAKPOINT }] },
          { type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: 'Fix the bug.' }] },
        ],
      };
      let usage: OpenAI.Responses.ResponseUsage | undefined;
      if (stream) {
        const events = await openai.responses.create({ ...p, stream: true });
        for await (const event of events) if (event.type === 'response.completed') usage = event.response.usage;
      } else {
        usage = (await openai.responses.create(p)).usage;
      }
      const sent = responses.requests[0]!.body;
      expect(sent.instructions).to.equal(undefined);
      expect(sent.input[0]).to.deep.equal({ type: 'message', role: 'system', content: [{ type: 'input_text', text: SYSTEM, prompt_cache_breakpoint: BREAKPOINT }] });
      expect(sent.input[1].content).to.deep.equal([{ type: 'input_text', text: 'Fix the bug.' }]);
      expect(usage!.input_tokens_details).to.deep.equal({ cached_tokens: 0, cache_write_tokens: 650 });
    });
  }

  it('an OpenAI client\'s breakpoints reach an Anthropic backend as cache_control, and its cache writes come back as cache_write_tokens', async () => {
    claude.enqueue({ text: 'Done.', usage: { input: 900, output: 4, cacheWrite: 880 } });
    const completion = await openai.chat.completions.create(chatParams('claude:claude-sonnet-4-6'));
    const sent = claude.requests[0]!.body;
    expect(sent.system).to.deep.equal([{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }]);
    expect(sent.messages[0].content).to.deep.equal([{ type: 'text', text: 'Fix the bug.', cache_control: { type: 'ephemeral' } }]);
    expect(sent).to.not.have.property('prompt_cache_options');
    expect(completion.usage!.prompt_tokens_details).to.deep.include({ cache_write_tokens: 880 });
  });

  it('an Anthropic client\'s cache_control does not become a breakpoint at an OpenAI backend', async () => {
    await anthropic.messages.create({
      model: 'oai:gpt-4o', max_tokens: 64,
      system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Fix the bug.', cache_control: { type: 'ephemeral' } }] }],
    });
    const sent = JSON.stringify(chat.requests[0]!.body);
    expect(sent).to.not.contain('prompt_cache_breakpoint');
    expect(chat.requests[0]!.body.messages[0]).to.deep.equal({ role: 'system', content: SYSTEM });
  });

  it('a preset (provider_options off by default) gets neither breakpoints nor prompt_cache_options', async () => {
    await openai.chat.completions.create(chatParams('router:openai/gpt-5.6'));
    const sent = chat.requests[0]!.body;
    expect(JSON.stringify(sent)).to.not.contain('prompt_cache_breakpoint');
    expect(sent).to.not.have.property('prompt_cache_options');
  });

  it('a breakpoint of another mode is a 400 naming the field', async () => {
    const bad = await openai.chat.completions.create({
      model: 'oai:gpt-5.6',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x', prompt_cache_breakpoint: { mode: 'implicit' } as never }] }],
    }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad).to.be.instanceOf(OpenAI.BadRequestError);
    expect(bad.message).to.contain('messages[0].content[0].prompt_cache_breakpoint');
    expect(chat.requests).to.have.length(0);
  });
});
