import { expect } from 'chai';
import { REASONING_DIALECTS, type Message, type TextPart, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { withAutomaticCache } from '../../../lib/frontends/anthropic/with-automatic-cache.js';

const text = (t: string, cache?: { ttl?: string }): TextPart => ({ type: 'text', text: t, ...(cache ? { cache } : {}) });
const tool = (name: string, cache?: { ttl?: string }): ToolDefinition => ({ name, parameters: { type: 'object' }, ...(cache ? { cache } : {}) });
const prompt = (messages: Message[], system: TextPart[] = [text('Rules.')], tools: ToolDefinition[] = [tool('a'), tool('b')]) => ({ tools, system, messages });
const thinking = { type: 'reasoning' as const, dialect: REASONING_DIALECTS.anthropicThinking, text: 'hm', signature: 'sig' };

describe('frontends/anthropic withAutomaticCache (top-level cache_control)', () => {
  it('marks the last block of the last message, with the ttl the client gave', () => {
    const p = prompt([{ role: 'user', parts: [text('a')] }, { role: 'assistant', parts: [text('b')] }, { role: 'user', parts: [text('c'), { type: 'image', url: 'https://x/i.png' }] }]);
    const marked = withAutomaticCache(p, { ttl: '1h' });
    expect(marked.messages[2]!.parts).to.deep.equal([text('c'), { type: 'image', url: 'https://x/i.png', cache: { ttl: '1h' } }]);
    expect(marked.messages.slice(0, 2)).to.deep.equal(p.messages.slice(0, 2));
    expect([marked.system, marked.tools]).to.deep.equal([p.system, p.tools]);
    expect(withAutomaticCache(p, {}).messages[2]!.parts[1]).to.deep.include({ cache: {} });
  });

  it('marks tool results, tool calls and documents like text', () => {
    const result = { type: 'tool_result' as const, callId: 't1', content: 'sunny' };
    expect(withAutomaticCache(prompt([{ role: 'tool', parts: [result] }]), {}).messages[0]!.parts[0]).to.deep.equal({ ...result, cache: {} });
    const call = { type: 'tool_call' as const, id: 't1', name: 'a', arguments: '{}' };
    expect(withAutomaticCache(prompt([{ role: 'assistant', parts: [call] }]), {}).messages[0]!.parts[0]).to.deep.equal({ ...call, cache: {} });
    const file = { type: 'file' as const, data: 'JVBERi0=', mediaType: 'application/pdf' };
    expect(withAutomaticCache(prompt([{ role: 'user', parts: [file] }]), {}).messages[0]!.parts[0]).to.deep.equal({ ...file, cache: {} });
  });

  it('skips blocks that cannot carry a mark: thinking, a web search, and empty text (the API refuses it there)', () => {
    const search = { type: 'web_search' as const, id: 'srvtoolu_1', status: 'completed' as const, results: [], dialect: 'anthropic.web_search' };
    const p = prompt([{ role: 'user', parts: [text('q')] }, { role: 'assistant', parts: [text('answer'), thinking, search, text('')] }]);
    expect(withAutomaticCache(p, {}).messages[1]!.parts).to.deep.equal([text('answer', {}), thinking, search, text('')]);
    const onlyThinking = prompt([{ role: 'user', parts: [text('q')] }, { role: 'assistant', parts: [thinking] }]);
    expect(withAutomaticCache(onlyThinking, {}).messages.map((m) => m.parts)).to.deep.equal([[text('q', {})], [thinking]]);
  });

  it('without a cacheable message block, marks the last system block; without one, the last tool; without any, nothing', () => {
    const noMessages = prompt([{ role: 'assistant', parts: [text('')] }], [text('one'), text('two'), text('')]);
    const marked = withAutomaticCache(noMessages, { ttl: '5m' });
    expect(marked.system).to.deep.equal([text('one'), text('two', { ttl: '5m' }), text('')]);
    expect(marked.tools).to.deep.equal(noMessages.tools);
    expect(withAutomaticCache(prompt([], []), {}).tools).to.deep.equal([tool('a'), tool('b', {})]);
    const empty = prompt([], [], []);
    expect(withAutomaticCache(empty, {})).to.equal(empty);
  });

  it('does not double a block that carries its own breakpoint (its own ttl stays)', () => {
    const p = prompt([{ role: 'user', parts: [text('a', { ttl: '1h' })] }]);
    expect(withAutomaticCache(p, { ttl: '5m' })).to.equal(p);
    const sys = prompt([], [text('Rules.', {})], [tool('a', {})]);
    expect(withAutomaticCache(sys, { ttl: '1h' })).to.equal(sys);
  });

  it('counts as one of the 4 breakpoints a request may carry: a fifth is a 400 naming cache_control', () => {
    const nested = { type: 'tool_result' as const, callId: 't1', content: [text('out', {})] };
    const three = prompt([{ role: 'tool', parts: [nested] }, { role: 'user', parts: [text('go')] }], [text('Rules.', {})], [tool('a', {})]);
    expect(withAutomaticCache(three, {}).messages[1]!.parts[0]).to.deep.equal(text('go', {}));
    const four = prompt(three.messages, [text('Rules.', {}), text('More.', {})], three.tools);
    let refused: unknown;
    try {
      withAutomaticCache(four, {});
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(LipError).and.deep.include({ status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'cache_control' });
    // Four of the client's own with the last block among them: nothing is added, nothing to refuse.
    const ownLast = prompt([{ role: 'user', parts: [text('go', {})] }], [text('Rules.', {}), text('More.', {})], [tool('a', {})]);
    expect(withAutomaticCache(ownLast, {})).to.equal(ownLast);
  });
});
