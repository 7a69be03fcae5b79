import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

/** How often `key` occurs as a field anywhere in `body`. */
const fieldCount = (body: unknown, key: string): number => JSON.stringify(body).split(`"${key}":`).length - 1;
const eph = { type: 'ephemeral' as const };

/**
 * A `cache_control` on a text block inside a `search_result` (at the top of a turn, or inside a
 * tool result) is a breakpoint at Anthropic like any other, but lip's helpers that count, find and
 * remove cache marks did not look there: `cache_enrollment: automatic` added a fifth breakpoint to
 * a request that held four, a top-level `cache_control` after four went upstream as a fifth
 * instead of lip's 400, and a thread sent every stored turn's mark again (one more per turn). One
 * walker (filterCacheMarks) now visits every place a breakpoint can sit, for every helper.
 */
describe('e2e: regression: cache marks inside a search_result count', function () {
  this.timeout(20_000);
  let plain: Emulator;
  let enrolled: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    [plain, enrolled] = await Promise.all([startAnthropicEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${plain.url}", api_key: k-0123456789 }`,
      `  - { id: ae, kind: anthropic, base_url: "${enrolled.url}", api_key: k-0123456789, cache_enrollment: automatic }`,
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([plain?.close(), enrolled?.close()]);
  });
  beforeEach(() => {
    for (const emu of [plain, enrolled]) emu.reset();
  });

  /** Four breakpoints, one on the text inside a search result; the last message unmarked. */
  const fourMarks = (model: string, extra: Json = {}): Json => ({
    model, max_tokens: 64, ...extra,
    tools: [{ name: 'f', input_schema: { type: 'object', properties: {} }, cache_control: eph }],
    system: [{ type: 'text', text: 'Sys.', cache_control: eph }],
    messages: [
      { role: 'user', content: [
        { type: 'search_result', source: 'https://a.example', title: 'A', content: [{ type: 'text', text: 'alpha', cache_control: eph }] },
        { type: 'text', text: 'first', cache_control: eph },
      ] },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'Now what?' },
    ],
  });

  it('cache_enrollment: automatic adds no fifth breakpoint to a request that holds four', async () => {
    await client.messages.create(fourMarks('ae:claude-sonnet-4-6') as never);
    const body = enrolled.requests.at(-1)!.body as Json;
    expect(fieldCount(body, 'cache_control')).to.equal(4);
    expect(body.messages.at(-1).content.at(-1)).to.not.have.property('cache_control');
  });

  it('a top-level cache_control after four is a 400 naming cache_control; nothing is sent', async () => {
    const err = await client.messages.create(fourMarks('an:claude-sonnet-4-6', { cache_control: eph }) as never).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).to.match(/^400 .*cache_control: the automatic cache breakpoint would be one more than the 4/);
    expect(plain.requests).to.have.length(0);
  });

  it('a thread sends its stored turns without the marks inside their search results', async () => {
    const thread = client.beta.messages.thread({ model: 'an:claude-sonnet-4-6', max_tokens: 100 });
    for (let i = 0; i < 6; i++) {
      await thread.send({ role: 'user', content: [
        { type: 'search_result', source: `https://s.example/${i}`, title: `T${i}`, content: [{ type: 'text', text: `doc ${i}`, cache_control: eph }] },
        { type: 'text', text: `question ${i}` },
      ] } as never);
    }
    expect(plain.requests.map(({ body }) => fieldCount(body, 'cache_control'))).to.deep.equal([1, 1, 1, 1, 1, 1]);
    const last = plain.requests.at(-1)!.body as Json;
    expect(last.messages.at(-1).content[0].content[0]).to.deep.include({ text: 'doc 5', cache_control: eph });
  });
});
