import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { refuseAnthropicCache } from './anthropic-rules.js';
import { startAnthropicEmulator } from './index.js';

const eph = { type: 'ephemeral' };
const text = (t: string, cache_control?: unknown) => ({ type: 'text', text: t, ...(cache_control ? { cache_control } : {}) });

/** The emulator's cache-breakpoint rule must refuse what Anthropic refuses and take what it takes, or lip's breakpoint handling goes unproven. */
describe('helpers/emulators: Anthropic prompt-cache rules', () => {
  it('refuses a fifth block with cache_control, wherever it sits (a search result\'s text, the top-level one), in the API\'s words', () => {
    const search = { type: 'search_result', source: 'https://a', title: 'A', content: [text('alpha', eph)] };
    const four = {
      tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: eph }],
      system: [text('Sys.', eph)],
      messages: [{ role: 'user', content: [search, text('q', eph)] }],
    };
    expect(refuseAnthropicCache(four)).to.equal(undefined);
    expect(refuseAnthropicCache({ ...four, cache_control: eph })).to.deep.equal({ status: 400, error: { type: 'invalid_request_error', message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.' } });
    const inResult = { type: 'tool_result', tool_use_id: 't', content: [text('r', eph)], cache_control: eph };
    expect(refuseAnthropicCache({ ...four, messages: [...four.messages, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }, { role: 'user', content: [inResult] }] })?.error.message)
      .to.equal('A maximum of 4 blocks with cache_control may be provided. Found 6.');
    expect(refuseAnthropicCache({ ...four, cache_control: null })).to.equal(undefined);
  });

  it('refuses a ttl other than 5m and 1h, naming the block as the API does', () => {
    expect(refuseAnthropicCache({ system: [text('S', { type: 'ephemeral', ttl: '2h' })] })?.error.message).to.equal("system.0.cache_control.ephemeral.ttl: Input should be '5m' or '1h'");
    expect(refuseAnthropicCache({ messages: [{ role: 'user', content: [text('q', { type: 'ephemeral', ttl: 3600 })] }] })?.error.message).to.equal("messages.0.content.0.text.cache_control.ephemeral.ttl: Input should be '5m' or '1h'");
    expect(refuseAnthropicCache({ tools: [{ name: 'f', input_schema: {}, cache_control: { type: 'ephemeral', ttl: '10m' } }] })?.error.message).to.equal("tools.0.custom.cache_control.ephemeral.ttl: Input should be '5m' or '1h'");
    expect(refuseAnthropicCache({ system: [text('S', { type: 'ephemeral', ttl: '5m' }), text('T', { type: 'ephemeral', ttl: '1h', scope: 'global' })] })?.error.message).to.match(/^system\.1\.cache_control\.ttl: a ttl='1h' cache_control block must not come after a ttl='5m'/);
    expect(refuseAnthropicCache({ system: [text('S', { type: 'ephemeral', ttl: '1h' }), text('T', eph)] })).to.equal(undefined);
  });

  it('the emulator answers them with Anthropic\'s error body; nothing is generated', async () => {
    const emulator = await startAnthropicEmulator();
    try {
      const client = new Anthropic({ apiKey: 'ak-emu', baseURL: emulator.origin, maxRetries: 0 });
      const five = [1, 2, 3, 4, 5].map((i) => text(`p${i}`, eph));
      const err = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: five as never }] }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).to.deep.include({ type: 'error', error: { type: 'invalid_request_error', message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.' } });
    } finally {
      await emulator.close();
    }
  });
});
