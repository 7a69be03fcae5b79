import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { checkCacheBreakpoints } from '../../../lib/frontends/anthropic/cache-breakpoints.js';

const eph = { type: 'ephemeral' };
const text = (t: string, marked = true) => ({ type: 'text', text: t, ...(marked ? { cache_control: eph } : {}) });
const refusal = (body: Record<string, unknown>): string | undefined => {
  try {
    checkCacheBreakpoints(body);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    expect((err as LipError).code).to.equal('LIP_ERR_REQUEST_INVALID');
    return (err as LipError).message;
  }
};

describe('frontends/anthropic checkCacheBreakpoints (explicit cache_control, at most 4)', () => {
  it('takes four, in tools, system and messages together, and a null cache_control as none', () => {
    expect(refusal({
      tools: [{ name: 'a', cache_control: eph }, { name: 'b', cache_control: null }],
      system: [text('s')],
      messages: [{ role: 'user', content: [text('one'), text('plain', false), { type: 'image', source: {}, cache_control: eph }] }, { role: 'user', content: 'a string' }],
    })).to.equal(undefined);
  });

  it('refuses a fifth, naming it in the order Anthropic reads the prompt: tools, system, messages', () => {
    expect(refusal({ tools: [{ name: 'a', cache_control: eph }], system: [text('s1'), text('s2')], messages: [{ role: 'user', content: [text('one'), text('two'), text('three')] }] }))
      .to.match(/^messages\[0\]\.content\[1\]\.cache_control: is a cache breakpoint more than the 4 a request may carry/);
    expect(refusal({ tools: [1, 2, 3, 4, 5].map((i) => ({ name: `t${i}`, cache_control: eph })), messages: [] })).to.match(/^tools\[4\]\.cache_control: /);
    expect(refusal({ tools: [{ name: 'a', cache_control: eph }], system: [text('1'), text('2'), text('3'), text('4')], messages: [] })).to.match(/^system\[3\]\.cache_control: /);
  });

  it('counts the blocks inside a tool result and a search result, before the block\'s own mark', () => {
    const search = { type: 'search_result', source: 's', title: 't', content: [text('a'), text('b')], cache_control: eph };
    const result = { type: 'tool_result', tool_use_id: 'x', content: [text('r'), search], cache_control: eph };
    expect(refusal({ messages: [{ role: 'user', content: [result] }] })).to.match(/^messages\[0\]\.content\[0\]\.cache_control: /);
    expect(refusal({ system: [text('s')], messages: [{ role: 'user', content: [result] }] })).to.match(/^messages\[0\]\.content\[0\]\.content\[1\]\.cache_control: /);
    expect(refusal({ system: [text('s')], messages: [{ role: 'user', content: [search, text('q')] }] }))
      .to.match(/^messages\[0\]\.content\[1\]\.cache_control: /);
  });

  it('does not count a key of that name inside a tool\'s schema or a call\'s input', () => {
    const schema = { type: 'object', properties: { cache_control: { type: 'object' } } };
    const call = { type: 'tool_use', id: 'x', name: 'a', input: { cache_control: eph } };
    expect(refusal({ tools: [{ name: 'a', input_schema: schema, cache_control: eph }], system: [text('s')], messages: [{ role: 'assistant', content: [call, call, call, text('t')] }] })).to.equal(undefined);
  });
});
