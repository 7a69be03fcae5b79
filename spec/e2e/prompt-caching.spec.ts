import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const CLAUDE_ON_BEDROCK = 'anthropic.claude-sonnet-4-20250514-v1:0';

/**
 * Prompt caching survives the proxy: the `cache_control` breakpoints an Anthropic client (Claude
 * Code puts them on its system prompt, tools and the latest turn) reach an Anthropic backend as
 * written, and a Claude model on Bedrock as `cachePoint` blocks. They used to be dropped, so
 * every turn of a long session was billed and processed as an uncached prompt.
 */
describe('e2e: prompt-cache breakpoints from an Anthropic client', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let bedrock: Emulator;
  let lip: RunningLip;
  let client: Anthropic;
  before(async () => {
    claude = await startAnthropicEmulator();
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`,
      bedrockRow('br', bedrock),
    ].join('\n')));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await claude?.close();
    await bedrock?.close();
  });
  const eph = { type: 'ephemeral' as const };
  // A one-hour breakpoint may not come after a 5-minute one (tools are read first).
  const long = { type: 'ephemeral' as const, ttl: '1h' as const };
  const params = (model: string) => ({
    model, max_tokens: 512,
    system: [{ type: 'text' as const, text: 'You are a coding agent.', cache_control: long }],
    tools: [{ name: 'read_file', input_schema: { type: 'object' as const, properties: {} }, cache_control: long }],
    messages: [
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'Fix the bug.', cache_control: eph }] },
    ],
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`an Anthropic backend gets the breakpoints as the client wrote them (${mode})`, async () => {
      claude.reset();
      const p = params('claude:claude-sonnet-4-6');
      const message = stream ? await client.messages.stream(p).finalMessage() : await client.messages.create(p);
      expect(message.role).to.equal('assistant');
      const sent = claude.requests[0]!.body;
      expect(sent.system).to.deep.equal(p.system);
      expect(sent.tools[0].cache_control).to.deep.equal(long);
      expect(sent.messages).to.deep.equal(p.messages);
    });

    it(`a Claude model on Bedrock gets a cachePoint after each marked piece (${mode})`, async () => {
      bedrock.reset();
      const p = params(`br:${CLAUDE_ON_BEDROCK}`);
      const message = stream ? await client.messages.stream(p).finalMessage() : await client.messages.create(p);
      expect(message.role).to.equal('assistant');
      const sent = bedrock.requests[0]!.body;
      const point = { cachePoint: { type: 'default' } };
      expect(sent.system).to.deep.equal([{ text: 'You are a coding agent.' }, point]);
      expect(sent.toolConfig.tools[1]).to.deep.equal(point);
      expect(sent.messages).to.deep.equal([{ role: 'user', content: [{ text: 'Fix the bug.' }, point] }]);
    });
  }

  describe('a top-level cache_control (automatic caching)', () => {
    const automatic = (model: string) => ({
      model, max_tokens: 512, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const },
      system: 'You are a coding agent.',
      tools: [{ name: 'read_file', input_schema: { type: 'object' as const, properties: {} } }],
      messages: [
        { role: 'user' as const, content: 'Fix the bug.' },
        { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'read_file', input: {} }] },
        { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_1', content: 'int main() {}' }] },
      ],
    });

    it('an Anthropic backend gets the breakpoint on the last block, with its ttl, and no top-level field', async () => {
      claude.reset();
      await client.messages.create(automatic('claude:claude-sonnet-4-6'));
      const sent = claude.requests[0]!.body;
      expect(sent).not.to.have.property('cache_control');
      expect(sent.messages[2].content).to.deep.equal([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'int main() {}', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
      expect(JSON.stringify([sent.system, sent.tools, sent.messages.slice(0, 2)])).not.to.include('cache_control');
    });

    it('a Claude model on Bedrock gets a cachePoint after the last block', async () => {
      bedrock.reset();
      await client.messages.create(automatic(`br:${CLAUDE_ON_BEDROCK}`));
      const sent = bedrock.requests[0]!.body;
      const last = sent.messages[sent.messages.length - 1].content;
      expect(last[last.length - 1]).to.deep.equal({ cachePoint: { type: 'default' } });
      expect(JSON.stringify(sent).match(/cachePoint/g)).to.have.length(1);
    });

    it('beside 4 breakpoints of the client\'s own it would be a fifth: a 400 naming cache_control', async () => {
      claude.reset();
      const eph = { type: 'ephemeral' as const };
      const p = automatic('claude:claude-sonnet-4-6');
      const four = {
        ...p,
        system: [{ type: 'text' as const, text: 'One.', cache_control: eph }, { type: 'text' as const, text: 'Two.', cache_control: eph }],
        tools: [{ ...p.tools[0]!, cache_control: eph }],
        messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Fix the bug.', cache_control: eph }] }, { role: 'user' as const, content: 'Now.' }],
      };
      const err = await client.messages.create(four).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as Error).message).to.include('cache_control: ');
      expect(claude.requests).to.have.length(0);
    });
  });
});
