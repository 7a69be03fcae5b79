import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const SYSTEM = 'You are SYS';
const TOOLS = [{ name: 'add', description: 'Adds two numbers', input_schema: { type: 'object' as const, properties: { a: { type: 'number' } } } }];

/**
 * An Anthropic token count with a `thread` counts the thread as a generation would send it. The
 * count route dropped the field, so counting the next turn of a thread (`thread: {type:
 * "continue"}` with only the new message, as the thread's requests are sent) counted that message
 * alone: without the thread's history, system prompt and tools. Now it counts what the turn's
 * generation sends upstream: the stored turns (without their cache marks), the thread's system
 * and tools, then the new message; an unknown thread is the generation's 404.
 */
describe('e2e: regression: an Anthropic token count of a thread\'s continue counts the thread', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    anthropic = await startAnthropicEmulator();
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await anthropic?.close();
  });
  beforeEach(() => anthropic.reset());

  /** A thread of one answered turn, created by the SDK with a system prompt and tools; its last message id. */
  async function oneTurnThread(): Promise<string> {
    anthropic.enqueue({ text: 'Hello Ada.' });
    const thread = client.beta.messages.thread({ model: 'an:claude-sonnet-4-6', max_tokens: 100, system: SYSTEM, tools: TOOLS });
    await thread.send({ role: 'user', content: [{ type: 'text', text: 'My name is Ada.', cache_control: { type: 'ephemeral' } }] });
    return thread.previousMessageId!;
  }

  /** The SDK's countTokens with a `thread` (its count params do not list the field: lip takes it as a generation does). */
  const countTokens = (params: Json) => client.beta.messages.countTokens(params as Anthropic.Beta.Messages.MessageCountTokensParams).withResponse();

  it('an upstream count gets the thread\'s history, system and tools before the new turn, as the generation would send them', async () => {
    const previous = await oneTurnThread();
    anthropic.enqueue({ usage: { input: 321, output: 0 } });
    const { data, response } = await countTokens({
      model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: previous },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is my name?', cache_control: { type: 'ephemeral' } }] }],
    });
    expect(data).to.deep.equal({ input_tokens: 321 });
    expect(response.headers.get('x-lip-token-count')).to.equal('upstream');
    const sent = anthropic.requests[1]!;
    expect(sent.path).to.equal('/v1/messages/count_tokens');
    expect(sent.body.messages.map((m: Json) => [m.role, m.content.map((b: Json) => b.text).join('')])).to.deep.equal([
      ['user', 'My name is Ada.'], ['assistant', 'Hello Ada.'], ['user', 'What is my name?'],
    ]);
    expect(JSON.stringify(sent.body.system)).to.include(SYSTEM);
    expect(sent.body.tools.map((t: Json) => t.name)).to.deep.equal(['add']);
    // The stored turn's mark stays out, as in the generation; the new turn keeps its own.
    expect(JSON.stringify(sent.body).split('"cache_control":').length - 1).to.equal(1);
    expect(sent.body).to.not.have.property('thread');
  });

  it('lip\'s estimate counts the thread too', async () => {
    const previous = await oneTurnThread();
    const question = { model: 'stub:stub-default', messages: [{ role: 'user', content: 'What is my name?' }] };
    const alone = await countTokens(question);
    const inThread = await countTokens({ ...question, thread: { type: 'continue', previous_message_id: previous } });
    const whole = await countTokens({
      ...question, system: SYSTEM, tools: TOOLS,
      messages: [{ role: 'user', content: 'My name is Ada.' }, { role: 'assistant', content: 'Hello Ada.' }, ...question.messages],
    });
    expect(inThread.response.headers.get('x-lip-token-count')).to.equal('estimate');
    expect(inThread.data.input_tokens).to.be.greaterThan(alone.data.input_tokens).and.equal(whole.data.input_tokens);
  });

  it('a thread lip does not hold is the generation\'s 404 (thread_not_found); a continue that repeats system is its 400', async () => {
    const lost = await countTokens({ model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: 'msg_unknown' }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(lost).to.be.instanceOf(Anthropic.NotFoundError);
    expect((lost as InstanceType<typeof Anthropic.NotFoundError>).error).to.deep.nested.include({ 'error.details': { error_code: 'thread_not_found' } });
    const previous = await oneTurnThread();
    const repeats = await countTokens({ model: 'an:claude-sonnet-4-6', system: SYSTEM, thread: { type: 'continue', previous_message_id: previous }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(repeats).to.be.instanceOf(Anthropic.BadRequestError);
    expect(anthropic.requests.map((r) => r.path)).to.deep.equal(['/v1/messages']);
  });
});
