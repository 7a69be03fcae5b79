import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { Script } from '../helpers/emulators/index.js';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { useUpstreams } from '../helpers/upstreams.js';

/** Anthropic frames: message_start, content_block_start, a ping, then the deltas: a reset after frame 5 breaks the answer after two deltas. */
const BREAKS_AFTER_TWO: Script = { text: ['Hello, ', 'wor', 'ld, and more.'], fault: { reset: 5 } };
const messages = [{ role: 'user' as const, content: 'Greet the world.' }];
type Body = { messages: { role: string; content: unknown }[]; thinking?: unknown };
const lastMessage = (body: unknown) => (body as Body).messages.at(-1);

/**
 * `routing.resume_after_output`: an Anthropic answer that breaks mid-stream (the connection
 * reset, an overloaded error in the stream) is resumed with what the client already has as the
 * assistant's prefill, on another candidate of the route first (or the same one), and the client
 * gets one answer with no error and no repeated text. Off by default: the break reaches the
 * client in-band as before.
 */
describe('e2e: an answer that breaks after output is resumed (routing.resume_after_output)', () => {
  describe('on', () => {
    const up = useUpstreams({ a: { kind: 'anthropic' }, b: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, kimi: { kind: 'openai-chat', extra: 'prefill: partial' } }, 'routing: { resume_after_output: { enabled: true } }\nobservability: { metrics: { enabled: true } }');

    it('a Claude stream reset after "Hello, wor" continues on the next candidate from exactly there (Anthropic SDK, streamed)', async () => {
      up.emulators.a!.enqueue(BREAKS_AFTER_TWO);
      up.emulators.b!.enqueue({ text: ['ld!'] });
      const message = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5|b:claude-sonnet-4-5', max_tokens: 100, messages }).finalMessage();
      expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['Hello, world!']);
      expect(message.stop_reason).to.equal('end_turn');
      expect(message.usage.output_tokens).to.be.greaterThan(0);
      expect(up.emulators.b!.requests).to.have.length(1);
      expect(lastMessage(up.emulators.b!.requests[0]!.body)).to.deep.equal({ role: 'assistant', content: [{ type: 'text', text: 'Hello, wor' }] });
    });

    it('an overloaded error in the stream is resumed on the same candidate when it is the only one; thinking is not asked of the continuation', async () => {
      const emu = up.emulators.a!;
      emu.enqueue({ text: ['Hello', ', the'], streamError: { message: 'Overloaded', type: 'overloaded_error' } }, { text: ['re, world.'] });
      const openai = up.openai();
      let text = '';
      for await (const chunk of await openai.chat.completions.create({ model: 'a:claude-sonnet-4-5', messages, stream: true, reasoning_effort: 'high' })) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).to.equal('Hello, there, world.');
      const [first, second] = emu.requests.map((r) => r.body as Body);
      expect(first!.thinking).to.not.equal(undefined);
      expect(second!.thinking).to.equal(undefined);
      expect(lastMessage(second)).to.deep.equal({ role: 'assistant', content: [{ type: 'text', text: 'Hello, the' }] });
    });

    it('an Anthropic client with thinking gets its thinking block (signed) and one text block, the continuation asked without thinking', async () => {
      // message_start, ping, thinking start, delta, signature, stop, text start, 'Hello, wor': the reset follows.
      up.emulators.a!.enqueue({ reasoning: { text: ['Plan the greeting.'], signature: 'sig-abc' }, text: ['Hello, wor', 'ld, and more'], fault: { reset: 8 } }, { text: ['ld.'] });
      const message = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages }).finalMessage();
      expect(message.content).to.deep.equal([
        { type: 'thinking', thinking: 'Plan the greeting.', signature: 'sig-abc' },
        { type: 'text', text: 'Hello, world.', ...(message.content[1]?.type === 'text' && 'citations' in message.content[1] ? { citations: message.content[1].citations } : {}) },
      ]);
      const continued = up.emulators.a!.requests[1]!.body as Body & { max_tokens: number };
      expect(continued.thinking).to.equal(undefined);
      expect(lastMessage(continued)).to.deep.equal({ role: 'assistant', content: [{ type: 'text', text: 'Hello, wor' }] });
      // 2000 less what was written: 'Plan the greeting.' and 'Hello, wor' are 28 characters, 7 tokens.
      expect(continued.max_tokens).to.equal(1993);
    });

    it('a non-streaming client: an upstream answered whole breaks before any output, so the next candidate answers it afresh', async () => {
      up.emulators.a!.enqueue(BREAKS_AFTER_TWO);
      up.emulators.b!.enqueue({ text: 'Hello, world.' });
      const message = await up.anthropic().messages.create({ model: 'a:claude-sonnet-4-5|b:claude-sonnet-4-5', max_tokens: 100, messages });
      expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['Hello, world.']);
      expect((up.emulators.b!.requests[0]!.body as Body).messages).to.have.length(1);
    });

    it('a continuation prefilled with text that ended in whitespace does not repeat it', async () => {
      up.emulators.a!.enqueue({ text: ['Hello, ', 'there'], fault: { reset: 4 } }, { text: [' world.'] });
      const message = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 100, messages }).finalMessage();
      expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['Hello, world.']);
      expect(lastMessage(up.emulators.a!.requests[1]!.body)).to.deep.equal({ role: 'assistant', content: [{ type: 'text', text: 'Hello,' }] });
    });

    it('a client that leaves during the continuation aborts its upstream request (the emulator sees the close)', async () => {
      up.emulators.a!.enqueue(BREAKS_AFTER_TWO);
      up.emulators.b!.enqueue({ text: ['ld', ' and', ' so', ' on', ' and', ' on'], dripMs: 300 });
      const controller = new AbortController();
      const stream = up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5|b:claude-sonnet-4-5', max_tokens: 100, messages }, { signal: controller.signal });
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
        if (text.startsWith('Hello, world')) controller.abort();
      });
      await stream.finalMessage().catch(() => undefined);
      await until(() => up.emulators.b!.closes.length >= 1, 'the continuation\'s upstream saw the close');
      expect(text).to.equal('Hello, world');
    });

    it('a Chat Completions row with prefill: partial (Moonshot\'s Partial Mode) is resumed on, the prefill marked partial', async () => {
      // The role chunk, then two deltas: the reset follows 'Hello, wor'.
      up.emulators.kimi!.enqueue({ text: ['Hello, ', 'wor', 'ld'], fault: { reset: 3 } }, { text: ['ld.'] });
      const openai = up.openai();
      let text = '';
      for await (const chunk of await openai.chat.completions.create({ model: 'kimi:kimi-k2.6', messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
      const sent = (up.emulators.kimi!.requests[1]!.body as { messages: Record<string, unknown>[] }).messages.at(-1);
      expect(sent).to.deep.equal({ role: 'assistant', content: 'Hello, wor', partial: true });
      expect(text).to.equal('Hello, world.');
    });

    it('a backend without prefill is not resumed on: the break reaches the client in-band', async () => {
      up.emulators.oc!.enqueue({ text: ['Hello, ', 'wor', 'ld'], fault: { reset: 3 } });
      const openai = up.openai();
      let text = '';
      const err = await (async () => {
        for await (const chunk of await openai.chat.completions.create({ model: 'oc:gpt-4o', messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
      })().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect(text.length).to.be.greaterThan(0);
      expect(up.emulators.oc!.requests).to.have.length(1);
    });

    it('a tool call the client has seen is not resumed: its break reaches the client, and lip_stream_resumes_total counts both kinds', async () => {
      // message_start, ping, the tool_use block (start, two deltas, stop): the reset comes before the message's end.
      up.emulators.a!.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'read', args: '{"path": "a.ts"}' }], fault: { reset: 6 } });
      const seen: string[] = [];
      const stream = up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 100, messages, tools: [{ name: 'read', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }] });
      stream.on('contentBlock', (block) => seen.push(block.type));
      const err = await stream.finalMessage().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect(seen).to.deep.equal(['tool_use']);
      expect(up.emulators.a!.requests).to.have.length(1);
      const metrics = await (await fetch(`${up.lip().url}/metrics`)).text();
      expect(Number(/^lip_stream_resumes_total\{outcome="resumed"\} (\d+)$/m.exec(metrics)?.[1])).to.be.greaterThan(0);
      expect(Number(/^lip_stream_resumes_total\{outcome="not_resumable"\} (\d+)$/m.exec(metrics)?.[1])).to.be.greaterThan(0);
    });

    it('a tool call cut before its arguments completed was never shown (tool-call-repair holds it): the break comes before output, and failover applies as always', async () => {
      up.emulators.a!.enqueue({ toolCalls: [{ id: 'toolu_1', name: 'read', args: '{"path": "a.ts"}' }], fault: { reset: 3 } });
      up.emulators.b!.enqueue({ toolCalls: [{ id: 'toolu_2', name: 'read', args: '{"path": "a.ts"}' }] });
      const message = await up.anthropic().messages.stream({
        model: 'a:claude-sonnet-4-5|b:claude-sonnet-4-5', max_tokens: 100, messages, tools: [{ name: 'read', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
      }).finalMessage();
      expect(message.content.map((b) => b.type)).to.deep.equal(['tool_use']);
      expect((up.emulators.b!.requests[0]!.body as Body).messages).to.have.length(1); // a fresh attempt, no prefill
    });
  });

  describe('off (the default)', () => {
    const up = useUpstreams({ a: { kind: 'anthropic' } });

    it('the break reaches the client in-band and nothing is sent again', async () => {
      up.emulators.a!.enqueue(BREAKS_AFTER_TWO, { text: 'never' });
      const err = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 100, messages }).finalMessage().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.APIError);
      expect(up.emulators.a!.requests).to.have.length(1);
    });
  });
});


describe('e2e: an in-band overloaded error to an Anthropic client, resumed', () => {
  const up = useUpstreams({ a: { kind: 'anthropic' } }, 'routing: { resume_after_output: { enabled: true, max_resumes: 1 } }');

  it('one text block, the broken part and the continuation; a second break within the same request reaches the client (max_resumes: 1)', async () => {
    up.emulators.a!.enqueue({ text: ['Hello, wor'], streamError: { message: 'Overloaded', type: 'overloaded_error' } }, { text: ['ld.'] });
    const message = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 100, messages }).finalMessage();
    expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).to.deep.equal(['Hello, world.']);

    up.emulators.a!.enqueue({ text: ['One'], streamError: { message: 'Overloaded', type: 'overloaded_error' } }, { text: [' two'], streamError: { message: 'Overloaded', type: 'overloaded_error' } }, { text: 'never' });
    const err = await up.anthropic().messages.stream({ model: 'a:claude-sonnet-4-5', max_tokens: 100, messages }).finalMessage().then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect((err as Error).message).to.contain('Overloaded');
    expect(up.emulators.a!.requests).to.have.length(4);
  });
});

describe('e2e: a Bedrock answer that breaks is resumed on Bedrock (ConverseStream, a prefill)', () => {
  let bedrock: Emulator;
  let lip: RunningLip;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(
      bedrockRow('br', bedrock),
      'routing: { resume_after_output: { enabled: true } }',
    ));
  });
  after(async () => {
    await lip.close();
    await bedrock.close();
  });

  it('the continuation is asked with the assistant\'s start and streams on', async () => {
    // messageStart and the three deltas, then the reset (before contentBlockStop and messageStop).
    bedrock.enqueue({ text: ['Hello, ', 'wor', 'ld'], fault: { reset: 4 } }, { text: ['.'] });
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'br:anthropic.claude-sonnet-4-5-20250929-v1:0', messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
    expect(bedrock.requests).to.have.length(2);
    const sent = (bedrock.requests[1]!.body as { messages: { role: string; content: unknown }[] }).messages.at(-1);
    expect(sent).to.deep.equal({ role: 'assistant', content: [{ text: 'Hello, world' }] });
    expect(text).to.equal('Hello, world.');
  });
});
