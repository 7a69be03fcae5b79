import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * `cache_enrollment: automatic` on an anthropic row: clients that cannot ask for Anthropic's
 * prompt cache (a Chat Completions agent, a Gemini client) get a breakpoint on the last block of
 * every request, so a long conversation is read from the cache turn after turn. A row without
 * it sends what the client asked for (nothing, here).
 */
describe('e2e: Anthropic cache enrollment for clients of other protocols', () => {
  const up = useUpstreams({
    enrolled: { kind: 'anthropic', extra: 'cache_enrollment: automatic, cache_ttl: 1h' },
    plain: { kind: 'anthropic' },
  });
  const lastBlock = (row: string) => {
    const messages = up.emulators[row]!.requests[0]!.body.messages as { content: { cache_control?: unknown }[] }[];
    return messages.at(-1)!.content.at(-1);
  };

  for (const stream of [false, true]) {
    it(`a Chat Completions client's conversation gets its breakpoint (${stream ? 'streamed' : 'whole'})`, async () => {
      const messages = [
        { role: 'system' as const, content: 'You are a coding agent.' },
        { role: 'user' as const, content: 'Read a.ts' },
        { role: 'assistant' as const, content: 'Done.' },
        { role: 'user' as const, content: 'Now b.ts' },
      ];
      const openai = up.openai();
      if (stream) {
        for await (const _ of await openai.chat.completions.create({ model: 'enrolled:claude-sonnet-4-6', messages, stream: true })) { /* drain */ }
      } else {
        await openai.chat.completions.create({ model: 'enrolled:claude-sonnet-4-6', messages });
      }
      expect(lastBlock('enrolled')).to.deep.equal({ type: 'text', text: 'Now b.ts', cache_control: { type: 'ephemeral', ttl: '1h' } });
      await openai.chat.completions.create({ model: 'plain:claude-sonnet-4-6', messages });
      expect(lastBlock('plain')).to.not.have.property('cache_control');
    });
  }

  it('a Gemini client\'s too', async () => {
    await up.google().models.generateContent({ model: 'enrolled:claude-sonnet-4-6', contents: [{ role: 'user', parts: [{ text: 'Read a.ts' }] }] });
    expect(lastBlock('enrolled')).to.deep.equal({ type: 'text', text: 'Read a.ts', cache_control: { type: 'ephemeral', ttl: '1h' } });
  });
});
