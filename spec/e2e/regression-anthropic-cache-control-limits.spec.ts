import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';
const eph = { type: 'ephemeral' as const };

/**
 * Anthropic (and Bedrock's Claude models) take at most 4 cache breakpoints a request, each with a
 * `ttl` of `5m` or `1h`. lip refused only a fifth *automatic* breakpoint: five explicit ones, or a
 * `ttl: "2h"`, went upstream, to be refused there in the provider's words (Bedrock's naming no
 * field) after a route had been chosen. Both are now lip's 400, naming the client's field, and
 * nothing is sent.
 */
describe('e2e regression: explicit cache_control is checked as Anthropic checks it', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    [claude, bedrock] = await Promise.all([startAnthropicEmulator(), startBedrockEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), bedrock?.close()]);
  });
  beforeEach(() => {
    claude.reset();
    bedrock.reset();
  });

  /** A Claude Code-like request: a marked tool, two marked system blocks, and `marks` marked blocks in the last turn. */
  const request = (model: string, marks: number, ttl?: string): Anthropic.MessageCreateParamsNonStreaming => ({
    model, max_tokens: 64,
    tools: [{ name: 'read_file', input_schema: { type: 'object', properties: {} }, cache_control: eph }],
    system: [{ type: 'text', text: 'You are a coding agent.', cache_control: eph }, { type: 'text', text: 'Be brief.', cache_control: eph }],
    messages: [{
      role: 'user',
      content: Array.from({ length: marks }, (_, i) => ({ type: 'text' as const, text: `Part ${i}.`, cache_control: { ...eph, ...(ttl !== undefined ? { ttl } : {}) } as Anthropic.CacheControlEphemeral })),
    }],
  });
  const refused = (params: Anthropic.MessageCreateParamsNonStreaming) => client.messages.create(params).then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
  /** The message of an Anthropic error body, as the SDK parsed it. */
  const said = (err: InstanceType<typeof Anthropic.APIError> | undefined) => (err?.error as { error?: { message?: string } } | undefined)?.error?.message;

  for (const [row, model] of [['claude', 'claude:claude-sonnet-4-6'], ['br', `br:${CLAUDE_ON_BEDROCK}`]] as const) {
    it(`a fifth explicit breakpoint is a 400 naming it, and nothing reaches ${row}`, async () => {
      const err = await refused(request(model, 2));
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect(said(err)).to.match(/^messages\[0\]\.content\[1\]\.cache_control: is a cache breakpoint more than the 4 a request may carry/);
      expect([...claude.requests, ...bedrock.requests]).to.have.length(0);
    });
  }

  it('a ttl other than 5m or 1h is a 400 naming cache_control.ttl; four breakpoints with a ttl it takes go upstream as written', async () => {
    const err = await refused(request('claude:claude-sonnet-4-6', 1, '2h'));
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect(said(err)).to.equal('messages[0].content[0].cache_control.ttl: must be one of "5m", "1h" (got "2h")');
    expect(claude.requests).to.have.length(0);

    claude.enqueue({ text: 'ok' });
    // 5m: a 1h breakpoint after the tool's and the system's (5 minutes) would be refused upstream.
    const p = request('claude:claude-sonnet-4-6', 1, '5m');
    await client.messages.create(p);
    expect(claude.requests[0]!.body.messages).to.deep.equal(p.messages);
  });
});
