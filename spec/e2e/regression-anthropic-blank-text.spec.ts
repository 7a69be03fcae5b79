import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { anthropicProtocol, startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const MODEL = 'claude:claude-sonnet-4-6';
const eph = { type: 'ephemeral' as const };

/** Every text block of a Messages request, a tool result's content included. */
function texts(body: any): string[] {
  const blocks = [...(body.system ?? []), ...body.messages.flatMap((m: any) => m.content)];
  return blocks.flatMap((b: any) => (b.type === 'text' ? [b.text] : b.type === 'tool_result' && Array.isArray(b.content) ? b.content.filter((c: any) => c.type === 'text').map((c: any) => c.text) : []));
}

/**
 * The Messages API refuses a text block that is only whitespace ("text content blocks must
 * contain non-whitespace text") and a final assistant turn that ends with whitespace; lip left out
 * only empty text, so a `"\n\n"` assistant turn, a system prompt of a space, a user part of spaces
 * or a prefill ending in a space went upstream to be refused, and once in the history every later
 * request of the conversation failed. The emulator now refuses them as Anthropic does; lip leaves
 * blank text out (a cache mark on it moves to the block before) and trims a prefill's end.
 */
describe('e2e regression: the Messages API gets no blank text block', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    claude = await startAnthropicEmulator();
    lip = await startLip(testConfig(`  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await claude?.close();
  });
  beforeEach(() => claude.reset());

  it('the emulator refuses blank text and a prefill ending in whitespace in the API\'s words', () => {
    const refuse = (body: unknown) => anthropicProtocol.refuse!({ body } as never);
    const invalid = (message: string) => ({ status: 400, error: { type: 'invalid_request_error', message } });
    expect(refuse({ messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }, { type: 'text', text: ' \n' }] }] })).to.deep.equal(invalid('messages: text content blocks must contain non-whitespace text'));
    expect(refuse({ system: [{ type: 'text', text: '  ' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }] })).to.deep.equal(invalid('system: text content blocks must contain non-whitespace text'));
    expect(refuse({ messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: [{ type: 'text', text: 'It is ' }] }] })).to.deep.equal(invalid('messages: final assistant content cannot end with trailing whitespace'));
    expect(refuse({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: '', is_error: true }] }] })).to.deep.equal(invalid('messages.0.content.0.tool_result: content cannot be empty if `is_error` is true'));
    expect(refuse({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: '' }] }] })).to.equal(undefined);
  });

  it('a Chat client: blank system, assistant and user text is left out, an empty tool output goes as it is, a prefill is trimmed', async () => {
    claude.enqueue({ text: 'done' });
    const answer = await openai.chat.completions.create({
      model: MODEL, tools: [{ type: 'function', function: { name: 'sh', parameters: { type: 'object' } } }],
      messages: [
        { role: 'system', content: ' ' },
        { role: 'user', content: 'run it' },
        { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'sh', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '' },
        { role: 'assistant', content: '\n' },
        { role: 'user', content: [{ type: 'text', text: 'and?' }, { type: 'text', text: '  ' }] },
        { role: 'assistant', content: 'The answer is ' },
      ],
    });
    expect(answer.choices[0]!.message.content).to.equal('done');
    const sent = claude.requests[0]!.body;
    expect(sent).to.not.have.property('system');
    expect(sent.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant']);
    expect(sent.messages[2].content).to.deep.equal([{ type: 'tool_result', tool_use_id: 'c1', content: '' }, { type: 'text', text: 'and?' }]);
    expect(sent.messages[3].content).to.deep.equal([{ type: 'text', text: 'The answer is' }]);
    expect(texts(sent).filter((t) => !/\S/.test(t))).to.deep.equal([]);
  });

  it('an Anthropic client: a cache mark on a blank block moves to the block before it', async () => {
    claude.enqueue({ text: 'done' });
    const answer = await anthropic.messages.create({
      model: MODEL, max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: '\n', cache_control: eph }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }, { type: 'text', text: ' ', cache_control: eph }] },
        { role: 'assistant', content: [{ type: 'text', text: 'a' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: [{ type: 'text', text: '  ' }], is_error: true }, { type: 'text', text: 'next' }] },
      ],
    }).catch((e: unknown) => e);
    expect(answer).to.not.be.instanceOf(Error);
    const sent = claude.requests[0]!.body;
    expect(sent.system).to.deep.equal([{ type: 'text', text: 'Be brief.', cache_control: eph }]);
    expect(sent.messages[0].content).to.deep.equal([{ type: 'text', text: 'q', cache_control: eph }]);
    expect(sent.messages[2].content[0]).to.deep.equal({ type: 'tool_result', tool_use_id: 'x', content: '(no output)', is_error: true });
  });

  it('a conversation of nothing but blank text is refused (400) before any upstream call', async () => {
    const error = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: ' \t ' }] }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).to.match(/nothing to send/);
    expect(claude.requests).to.have.length(0);
  });
});
