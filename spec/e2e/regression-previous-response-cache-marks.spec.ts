import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const TURNS = 6;

/** How often `key` occurs as a field anywhere in `body`. */
const fieldCount = (body: unknown, key: string): number => JSON.stringify(body).split(`"${key}":`).length - 1;
const breakpoint = { prompt_cache_breakpoint: { mode: 'explicit' } };
const cacheControl = { cache_control: { type: 'ephemeral' } };

/**
 * A Responses `previous_response_id` chain: the stored turns go before the new one with their
 * cache marks, but whether the client wrote OpenAI breakpoints was a flag taken from the current
 * request's own input only, and the anthropic and bedrock backends trimmed to the latest 4 only
 * under that flag. A chain marked on turns 1-5 went with 5 breakpoints to anthropic and bedrock
 * on turn 6 (which marked none), and with none to openai-responses (the flag unset, no mark was
 * written back). Now each mark says it was written as a breakpoint (it survives the store), and
 * anthropic and bedrock always keep the latest 4, whatever wrote them.
 */
describe('e2e: regression: a previous_response_id chain keeps its breakpoints, within the backend\'s limit', function () {
  this.timeout(30_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let client: OpenAI;
  before(async () => {
    [emulators.an, emulators.br, emulators.or] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator(), startOpenAIResponsesEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${emulators.an!.url}", api_key: k-0123456789 }`,
      bedrockRow('br', emulators.br!),
      `  - { id: or, kind: openai-responses, base_url: "${emulators.or!.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all(Object.values(emulators).map((e) => e.close()));
  });
  beforeEach(() => {
    for (const e of Object.values(emulators)) e.reset();
  });

  /** Six chained turns, turn i's one input part marked by `mark(i)`; how often `key` occurs in each upstream request. */
  async function chain(model: string, row: string, mark: (turn: number) => Record<string, unknown>, key: string): Promise<number[]> {
    let previous: string | undefined;
    for (let i = 1; i <= TURNS; i++) {
      const input = [{ role: 'user', content: [{ type: 'input_text', text: `turn ${i}`, ...mark(i) }] }];
      const r = await client.responses.create({ model, input, ...(previous ? { previous_response_id: previous } : {}) } as never);
      previous = (r as { id: string }).id;
    }
    return emulators[row]!.requests.map(({ body }) => fieldCount(body, key));
  }
  const firstFive = (turn: number) => (turn <= 5 ? breakpoint : {});

  it('anthropic: at most 4 cache_control on every turn, the latest kept', async () => {
    expect(await chain('an:claude-sonnet-4-6', 'an', firstFive, 'cache_control')).to.deep.equal([1, 2, 3, 4, 4, 4]);
    const last = emulators.an!.requests.at(-1)!.body as { messages: { content: { text: string; cache_control?: unknown }[] }[] };
    const marked = last.messages.flatMap((m) => m.content).filter((b) => b.cache_control !== undefined).map((b) => b.text);
    expect(marked).to.deep.equal(['turn 2', 'turn 3', 'turn 4', 'turn 5']);
  });

  it('bedrock: at most 4 cachePoints on every turn', async () => {
    expect(await chain(`br:${CLAUDE_ON_BEDROCK}`, 'br', firstFive, 'cachePoint')).to.deep.equal([1, 2, 3, 4, 4, 4]);
  });

  it('openai-responses: the earlier turns\' breakpoints are written back on a turn that marks none', async () => {
    expect(await chain('or:gpt-5.6', 'or', firstFive, 'prompt_cache_breakpoint')).to.deep.equal([1, 2, 3, 4, 5, 5]);
  });

  it('anthropic: OpenRouter-style cache_control on every turn is capped at 4 too', async () => {
    expect(await chain('an:claude-sonnet-4-6', 'an', () => cacheControl, 'cache_control')).to.deep.equal([1, 2, 3, 4, 4, 4]);
  });
});
