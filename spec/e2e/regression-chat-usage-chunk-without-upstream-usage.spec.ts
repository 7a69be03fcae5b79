import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * A Chat client that streams with `stream_options.include_usage` gets its usage chunk (`choices:
 * []`, right before `[DONE]`) even when the upstream reported no usage, as an OpenAI-compatible
 * server that ignores `stream_options` does: with zero counts, as an Anthropic client gets in the
 * same case (the SDK's `CompletionUsage` has numbers). It used to get no usage chunk at all, and a
 * client that waits for one (to bill, or to know the stream is whole) saw none. A whole completion
 * has the same zero usage (it had none, so a stored completion's retrieve disagreed with the
 * stream that made it).
 */
describe('e2e: regression: a Chat client\'s usage chunk when the upstream reported no usage', () => {
  let emu: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());

  const ask = async (include_usage: boolean) => {
    const stream = await openai.chat.completions.create({ model: 'oc:m', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  };

  it('sends the usage chunk last, with zero counts, when the client asked for it', async () => {
    emu.enqueue({ text: 'Hello.' }); // no usage in the upstream's stream
    const chunks = await ask(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).to.equal('Hello.');
    const last = chunks.at(-1)!;
    expect(last.choices).to.deep.equal([]);
    expect(last.usage).to.deep.equal({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(chunks.slice(0, -1).every((c) => c.choices.length === 1)).to.equal(true);
  });

  it('sends none when the client did not ask for it', async () => {
    emu.enqueue({ text: 'Hello.' });
    const chunks = await ask(false);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).to.equal(true);
  });

  it('a whole completion has usage too, with zero counts, as a stream\'s usage chunk', async () => {
    emu.enqueue({ text: 'Hello.' });
    const completion = await openai.chat.completions.create({ model: 'oc:m', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]!.message.content).to.equal('Hello.');
    expect(completion.usage).to.deep.equal({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('the upstream\'s counts when it reported them', async () => {
    emu.enqueue({ text: 'Hello.', usage: { input: 5, output: 4 } });
    const chunks = await ask(true);
    expect(chunks.at(-1)!.usage).to.deep.include({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
  });
});
