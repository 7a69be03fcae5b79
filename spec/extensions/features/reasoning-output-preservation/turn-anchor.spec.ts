import { expect } from 'chai';
import { REASONING_DIALECTS, type Message, type Part, type ReasoningPart } from '../../../../lib/canonical/index.js';
import { turnShape, withReasoning } from '../../../../lib/extensions/features/reasoning-output-preservation/index.js';

const chat = (text: string): ReasoningPart => ({ type: 'reasoning', dialect: REASONING_DIALECTS.openaiChat, text });
const text = (t: string): Part => ({ type: 'text', text: t });
const call = (id: string, args: string, name = 'read'): Part => ({ type: 'tool_call', id, name, arguments: args });
const assistant = (...parts: Part[]): Message => ({ role: 'assistant', parts });

describe('reasoning-output-preservation: a turn\'s anchor and where its reasoning sat', () => {
  it('the anchor is the visible content: a text run however split or interrupted, each tool call with its id', () => {
    const released = turnShape(assistant(chat('plan'), text('Let me '), chat('more'), text('look.'), call('c1', '{"path": "a.ts"}')));
    const echoed = turnShape(assistant(text('Let me look.'), call('c1', '{"path":"a.ts"}')));
    expect(echoed.anchor).to.equal(released.anchor);
    expect(released.reasoning.map((r) => [r.at, r.part.text])).to.deep.equal([[0, 'plan'], [0, 'more']]);
    expect(echoed.reasoning).to.deep.equal([]);
  });

  it('a different text, tool-call id, name or argument value is a different turn', () => {
    const base = turnShape(assistant(text('ok'), call('c1', '{"a":1}'))).anchor;
    expect(turnShape(assistant(text('ok!'), call('c1', '{"a":1}'))).anchor).to.not.equal(base);
    expect(turnShape(assistant(text('ok'), call('c2', '{"a":1}'))).anchor).to.not.equal(base);
    expect(turnShape(assistant(text('ok'), call('c1', '{"a":1}', 'write'))).anchor).to.not.equal(base);
    expect(turnShape(assistant(text('ok'), call('c1', '{"a":2}'))).anchor).to.not.equal(base);
    expect(turnShape(assistant(text('ok'), call('c1', 'not json'))).anchor).to.not.equal(base);
  });

  it('a tool call between two texts keeps them apart; empty text counts for nothing', () => {
    const split = turnShape(assistant(text('a'), call('c1', '{}'), text('b')));
    const joined = turnShape(assistant(text('ab'), call('c1', '{}')));
    expect(split.anchor).to.not.equal(joined.anchor);
    expect(turnShape(assistant(text(''), text('a'), call('c1', '{}'), text('b'))).anchor).to.equal(split.anchor);
  });

  it('a turn of reasoning alone has no anchor; a long one is kept as its digest', () => {
    expect(turnShape(assistant(chat('only'))).anchor).to.equal('');
    const long = turnShape(assistant(text('x'.repeat(2000)))).anchor;
    expect(long).to.match(/^#[A-Za-z0-9_-]{43}$/);
  });

  it('puts reasoning back before its unit, and the turn-final reasoning at the end', () => {
    const released = assistant(chat('first'), text('Hi'), chat('between'), call('c1', '{}'), chat('last'));
    const shape = turnShape(released);
    const echoed = assistant(text('Hi'), call('c1', '{}'));
    const restored = withReasoning(echoed, turnShape(echoed), shape.reasoning);
    expect(restored.parts.map((p) => (p.type === 'reasoning' ? `r:${p.text}` : p.type))).to.deep.equal(['r:first', 'text', 'r:between', 'tool_call', 'r:last']);
    // A text run split in two parts gets its reasoning before the first of them.
    const parts = withReasoning(assistant(text('H'), text('i'), call('c1', '{}')), turnShape(assistant(text('H'), text('i'), call('c1', '{}'))), shape.reasoning).parts;
    expect(parts.map((p) => (p.type === 'reasoning' ? `r:${p.text}` : p.type === 'text' ? `t:${p.text}` : p.type))).to.deep.equal(['r:first', 't:H', 't:i', 'r:between', 'tool_call', 'r:last']);
  });
});
