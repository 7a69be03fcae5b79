import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const TURNS = 6;

/** How often `key` occurs as a field anywhere in `body`. */
const fieldCount = (body: unknown, key: string): number => JSON.stringify(body).split(`"${key}":`).length - 1;

/**
 * A thread's cache marks were sent again on every later turn: lip put the stored turns, with the
 * `cache_control` each had when it was first sent, before the new one, so a client that marks each
 * turn's message (the usual way to cache a growing conversation) sent one more breakpoint upstream
 * per turn, past the 4 a request may hold at Anthropic (a 400) and Bedrock. The SDK, when it
 * replays a thread's history itself, drops the marks of the messages already answered
 * (ThreadState.buildCreateArguments, withoutCacheControl); lip now does the same with the history
 * it holds, and keeps the marks of the thread's system and tools and of the new turn.
 */
describe('e2e: regression: a thread does not pile up its turns\' cache marks upstream', function () {
  this.timeout(20_000);
  let anthropic: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    [anthropic, bedrock] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${anthropic.url}", api_key: k-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([anthropic?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    for (const emu of [anthropic, bedrock]) emu.reset();
  });

  /** Six turns of one SDK thread, each turn's message marked, with a marked system block and a marked tool. */
  async function sixMarkedTurns(model: string, emulator: Emulator): Promise<void> {
    for (let i = 0; i < TURNS; i++) emulator.enqueue({ text: `answer ${i}` });
    const thread = client.beta.messages.thread({
      model, max_tokens: 100,
      system: [{ type: 'text', text: 'You are SYS', cache_control: { type: 'ephemeral' } }],
      tools: [{ name: 'add', input_schema: { type: 'object', properties: {} }, cache_control: { type: 'ephemeral' } }],
    });
    for (let i = 0; i < TURNS; i++) {
      const reply = await thread.send({ role: 'user', content: [{ type: 'text', text: `question ${i}`, cache_control: { type: 'ephemeral' } }] });
      expect(reply.content[0]).to.deep.include({ type: 'text', text: `answer ${i}` });
    }
    expect(emulator.requests).to.have.length(TURNS);
  }

  it('on the anthropic backend every turn sends the system\'s, the tool\'s and its own cache_control, and no stored turn\'s', async () => {
    await sixMarkedTurns('an:claude-sonnet-4-6', anthropic);
    expect(anthropic.requests.map(({ body }) => fieldCount(body, 'cache_control'))).to.deep.equal(Array(TURNS).fill(3));
    const last = anthropic.requests[TURNS - 1]!.body;
    // The whole conversation went, its last (the new) message alone marked.
    expect(last.messages).to.have.length(2 * TURNS - 1);
    expect(last.messages.at(-1).content.at(-1)).to.deep.include({ text: `question ${TURNS - 1}`, cache_control: { type: 'ephemeral' } });
    expect(last.system.at(-1)).to.have.property('cache_control');
    expect(last.tools[0]).to.have.property('cache_control');
  });

  it('on the bedrock backend every Converse request holds three cachePoints', async () => {
    await sixMarkedTurns(`br:${CLAUDE_ON_BEDROCK}`, bedrock);
    expect(bedrock.requests.map(({ body }) => fieldCount(body, 'cachePoint'))).to.deep.equal(Array(TURNS).fill(3));
    const last = bedrock.requests[TURNS - 1]!.body as Json;
    expect(last.messages.at(-1).content.at(-1)).to.have.property('cachePoint');
  });
});
