import { expect } from 'chai';
import { cacheMarks, emptyCall, filterCacheMarks, withoutCacheMarks, type Call, type Message, type SearchResultPart, type TextPart } from '../../lib/canonical/index.js';
import { enrollInCache, latestCacheMarks } from '../../lib/backends/cache-marks.js';
import { withAutomaticCache } from '../../lib/frontends/anthropic/with-automatic-cache.js';
import { LipError } from '../../lib/errors/index.js';

const text = (t: string, ttl?: string): TextPart => ({ type: 'text', text: t, ...(ttl !== undefined ? { cache: ttl === '' ? {} : { ttl } } : {}) });
const search = (doc: TextPart, own?: boolean): SearchResultPart => ({ type: 'search_result', source: 'https://a.example', title: 'A', content: [doc], ...(own ? { cache: {} } : {}) });

/**
 * Every place a breakpoint can sit, each marked once, 5 in all: a tool, a system block, the text
 * inside a search result of a user turn, the text inside a search result inside a tool result,
 * and a text block.
 */
function everywhere(): Call {
  return emptyCall({
    model: 'm',
    tools: [{ name: 'f', parameters: { type: 'object' }, cache: {} }],
    system: [text('rules', '')],
    messages: [
      { role: 'user', parts: [search(text('alpha', '')), text('question')] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [search(text('beta', '1h'))] }] },
      { role: 'user', parts: [text('last', '')] },
    ],
  });
}

describe('canonical/cache-marks: one walker over every place a breakpoint can sit', () => {
  it('finds the marks inside a search result, at the top of a turn and inside a tool result, in prompt order', () => {
    expect(cacheMarks(everywhere())).to.deep.equal([{}, {}, {}, { ttl: '1h' }, {}]);
    // A search result's own mark comes after those of its text blocks.
    const own: Message[] = [{ role: 'user', parts: [search(text('alpha', '1h'), true)] }];
    expect(cacheMarks({ tools: [], system: [], messages: own })).to.deep.equal([{ ttl: '1h' }, {}]);
  });

  it('removes them too (a thread\'s stored turns): withoutCacheMarks, and the same objects where nothing is marked', () => {
    const c = everywhere();
    const bare = withoutCacheMarks(c.messages);
    expect(cacheMarks({ tools: [], system: [], messages: bare })).to.deep.equal([]);
    expect(JSON.stringify(bare)).to.not.contain('"cache"');
    expect(bare[1]).to.equal(c.messages[1]);
    expect(bare[0]!.parts[1]).to.equal(c.messages[0]!.parts[1]);
    expect(filterCacheMarks(c, () => true)).to.equal(c);
  });

  it('latestCacheMarks counts and trims them: the first marks in prompt order go', () => {
    const fitted = latestCacheMarks(everywhere(), 4);
    expect(cacheMarks(fitted)).to.deep.equal([{}, {}, { ttl: '1h' }, {}]);
    expect(fitted.tools[0]).to.not.have.property('cache');
    expect(latestCacheMarks(everywhere(), 2).messages[2]!.parts[0]).to.deep.equal({ type: 'tool_result', callId: 'c1', content: [search(text('beta', '1h'))] });
  });

  it('enrollment sees them: no fifth breakpoint, and no one-hour one after a 5-minute mark inside a search result', () => {
    const four = latestCacheMarks(everywhere(), 4);
    const last = four.messages.length - 1;
    const unmarkedLast = { ...four, messages: four.messages.with(last, { role: 'user', parts: [text('last')] }) };
    expect(cacheMarks(enrollInCache(unmarkedLast, '5m'))).to.have.length(3 + 1);
    const full = { ...unmarkedLast, messages: [...unmarkedLast.messages, { role: 'user' as const, parts: [search(text('gamma', ''))] }, { role: 'assistant' as const, parts: [text('ok')] }] };
    expect(cacheMarks(full)).to.have.length(4);
    expect(enrollInCache(full, '5m')).to.equal(full);
    const after5m = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [search(text('alpha', '')), text('q')] }] });
    expect(cacheMarks(enrollInCache(after5m, '1h'))).to.deep.equal([{}, {}]);
  });

  it('an Anthropic client\'s top-level cache_control after four marks, one inside a search result, is a fifth: 400 naming cache_control', () => {
    const four = latestCacheMarks(everywhere(), 4);
    const prompt = { tools: four.tools, system: four.system, messages: [...four.messages.slice(0, -1), { role: 'user' as const, parts: [text('last')] }, { role: 'assistant' as const, parts: [text('a')] }, { role: 'user' as const, parts: [text('b', '')] }] };
    expect(cacheMarks(prompt)).to.have.length(4);
    const withLastUnmarked = { ...prompt, messages: [...prompt.messages, { role: 'assistant' as const, parts: [text('c')] }] };
    expect(() => withAutomaticCache(withLastUnmarked, {})).to.throw(LipError).with.property('param', 'cache_control');
  });
});
