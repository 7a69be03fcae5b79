import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const BETA = 'prompt-caching-scope-2026-01-05';
const global = { type: 'ephemeral', scope: 'global' } as never;

/**
 * `cache_control.scope` (Claude Code sends `scope: "global"` with the beta
 * `prompt-caching-scope-2026-01-05`, so that a prefix is cached across sessions) was dropped: the
 * beta header reached the anthropic backend, the field did not. The cache mark now carries it and
 * the anthropic backend writes it back; Bedrock's cachePoint has no such field.
 */
describe('e2e: regression: cache_control.scope reaches an anthropic backend', function () {
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

  it('on system blocks, tools, message blocks and the top-level cache_control, with the beta header', async () => {
    await client.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 64,
      tools: [{ name: 'f', input_schema: { type: 'object', properties: {} }, cache_control: { type: 'ephemeral', ttl: '1h', scope: 'global' } as never }],
      system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral', ttl: '1h', scope: 'global' } as never }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: global }] }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'more' }],
      cache_control: global,
    } as never, { headers: { 'anthropic-beta': BETA } });
    const { body, headers } = anthropic.requests.at(-1)!;
    const b = body as Json;
    expect(headers['anthropic-beta']).to.contain(BETA);
    expect(b.system[0].cache_control).to.deep.equal({ type: 'ephemeral', ttl: '1h', scope: 'global' });
    expect(b.tools[0].cache_control).to.deep.equal({ type: 'ephemeral', ttl: '1h', scope: 'global' });
    expect(b.messages[0].content[0].cache_control).to.deep.equal({ type: 'ephemeral', scope: 'global' });
    expect(b.messages[2].content.at(-1).cache_control).to.deep.equal({ type: 'ephemeral', scope: 'global' });
  });

  it('bedrock writes its cachePoint as ever (Converse has no scope)', async () => {
    await client.messages.create({
      model: 'br:anthropic.claude-sonnet-4-20250514-v1:0', max_tokens: 64,
      system: [{ type: 'text', text: 'S', cache_control: global }],
      messages: [{ role: 'user', content: 'hi' }],
    } as never);
    expect((bedrock.requests.at(-1)!.body as Json).system).to.deep.equal([{ text: 'S' }, { cachePoint: { type: 'default' } }]);
  });

  it('a scope that is not a string is a 400 naming the field', async () => {
    const err = await client.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 64,
      system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral', scope: 7 } as never }],
      messages: [{ role: 'user', content: 'hi' }],
    } as never).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).to.contain('system[0].cache_control.scope');
  });
});
