import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';

/** How often `key` occurs as a field anywhere in `body`. */
const fieldCount = (body: unknown, key: string): number => JSON.stringify(body).split(`"${key}":`).length - 1;
/** Six text parts, each with an OpenRouter-style `cache_control` (the first one's `ttl` as given, the others' 5m). */
const sixMarked = (firstTtl: string) => [1, 2, 3, 4, 5, 6].map((i) => ({ type: 'text', text: `part ${i}`, cache_control: { type: 'ephemeral', ttl: i === 1 ? firstTtl : '5m' } }));

/**
 * The `cache_control` OpenRouter-style clients put on Chat (and Responses) content parts for a
 * Claude model was taken as a cache mark without a check: six of them, one with `ttl: "2h"`,
 * reached an anthropic backend verbatim (six breakpoints, a ttl Anthropic refuses) and a bedrock
 * backend as six cachePoints. Now its `type` and `ttl` are checked as the Anthropic frontend
 * checks them (a 400 naming the field, in the client's protocol), and anthropic and bedrock keep
 * the latest 4.
 */
describe('e2e: regression: OpenRouter-style cache_control from OpenAI clients is checked and capped', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    [anthropic, bedrock] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n')));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([anthropic?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    for (const emu of [anthropic, bedrock]) emu.reset();
  });

  it('six marks from a Chat client reach anthropic as the latest 4 cache_control, bedrock as 4 cachePoints', async () => {
    await client.chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: sixMarked('1h') as never }] });
    const body = anthropic.requests.at(-1)!.body as { messages: { content: { text: string; cache_control?: unknown }[] }[] };
    const fiveMinutes = { type: 'ephemeral', ttl: '5m' };
    expect(body.messages[0]!.content.filter((b) => b.cache_control !== undefined).map((b) => [b.text, b.cache_control])).to.deep.equal([
      ['part 3', fiveMinutes], ['part 4', fiveMinutes], ['part 5', fiveMinutes], ['part 6', fiveMinutes],
    ]);
    await client.chat.completions.create({ model: `br:${CLAUDE_ON_BEDROCK}`, messages: [{ role: 'user', content: sixMarked('5m') as never }] });
    expect(fieldCount(bedrock.requests.at(-1)!.body, 'cachePoint')).to.equal(4);
  });

  /** The error a request gets, as the SDK reads it. */
  const refusal = (run: () => Promise<unknown>) => run().then(() => undefined, (err: unknown) => err as InstanceType<typeof OpenAI.BadRequestError>);

  it('a ttl other than 5m or 1h is a 400 naming the field, in the OpenAI envelope; nothing is sent', async () => {
    const chat = await refusal(() => client.chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: sixMarked('2h') as never }] }));
    expect(chat).to.be.instanceOf(OpenAI.BadRequestError);
    expect(chat!.error).to.deep.include({ type: 'invalid_request_error', param: 'messages[0].content[0].cache_control.ttl' });
    const responses = await refusal(() => client.responses.create({
      model: `br:${CLAUDE_ON_BEDROCK}`,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'a', cache_control: { type: 'ephemeral', ttl: '2h' } }] }],
    } as never));
    expect(responses).to.be.instanceOf(OpenAI.BadRequestError);
    expect(responses!.error).to.deep.include({ type: 'invalid_request_error', param: 'input[0].content[0].cache_control.ttl' });
    expect(anthropic.requests.length + bedrock.requests.length).to.equal(0);
  });

  it('a type other than ephemeral is a 400 naming it too (it was silently no mark)', async () => {
    const chat = await refusal(() => client.chat.completions.create({
      model: 'an:claude-sonnet-4-6',
      messages: [{ role: 'system', content: [{ type: 'text', text: 'rules', cache_control: { type: 'persistent' } }] as never }, { role: 'user', content: 'hi' }],
    }));
    expect(chat).to.be.instanceOf(OpenAI.BadRequestError);
    expect(chat!.error).to.deep.include({ param: 'messages[0].content[0].cache_control.type' });
    expect(anthropic.requests).to.have.length(0);
  });
});
