import { expect } from 'chai';
import { collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { decodeChatRequest } from '../../../lib/frontends/openai-chat/index.js';
import { collectedCallIds, TurnState } from '../../../lib/frontends/openai-chat/turn-state.js';
import { openCallId, sealCallId } from '../../../lib/frontends/state-envelope.js';

const ids = (events: readonly LipEvent[]): string[] => {
  const state = new TurnState();
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'tool_call_started') out.push(state.callId(e));
    else state.push(e);
  }
  return out;
};

/** The assistant turn a Chat client sends back with `ids` as its calls' ids, decoded. */
const echoed = (ids: readonly string[]) => decodeChatRequest({
  model: 'm',
  messages: [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: 'Checking.', tool_calls: ids.map((id, i) => ({ id, type: 'function', function: { name: `f${i}`, arguments: '{}' } })) },
    ...ids.map((id) => ({ role: 'tool', tool_call_id: id, content: 'r' })),
  ],
}).call.messages[1]!.parts.map((p) => (p.type === 'reasoning' ? `reasoning ${p.signature ?? p.opaque}` : p.type === 'tool_call' ? `call ${p.id}` : p.type));

/** Anthropic's interleaved thinking: redacted and signed thinking, a call, more signed thinking, another call. */
const interleaved: LipEvent[] = [
  { type: 'reasoning_opaque', dialect: 'anthropic.redacted_thinking', data: 'R' },
  { type: 'reasoning_delta', text: 'first' }, { type: 'reasoning_signature', signature: 'sig-a', dialect: 'anthropic.thinking' },
  { type: 'tool_call_started', id: 'a', name: 'f' },
  { type: 'reasoning_delta', text: 'second' }, { type: 'reasoning_signature', signature: 'sig-b', dialect: 'anthropic.thinking' },
  { type: 'tool_call_started', id: 'b', name: 'g' },
];

describe('frontends/openai-chat/turn-state', () => {
  it('leaves the ids of a turn without provider state alone', () => {
    expect(ids([{ type: 'reasoning_delta', text: 'plain chat reasoning' }, { type: 'tool_call_started', id: 'call_1', name: 'f' }])).to.deep.equal(['call_1']);
  });

  it('seals the turn\'s signed and opaque reasoning into the first call\'s id, each call\'s own signature into its id', () => {
    const events: LipEvent[] = [
      { type: 'reasoning_delta', text: 'Think' }, { type: 'reasoning_delta', text: 'ing' },
      { type: 'reasoning_signature', signature: 'sig-1', dialect: 'anthropic.thinking' },
      { type: 'reasoning_opaque', dialect: 'anthropic.redacted_thinking', data: 'R' },
      { type: 'tool_call_started', id: 'a', name: 'f', signature: 'ts-a', dialect: 'gemini.thought' },
      { type: 'tool_call_started', id: 'b', name: 'g' },
    ];
    const [a, b] = ids(events);
    expect(openCallId(a!, 'p')).to.deep.equal({
      id: 'a', call: { dialect: 'gemini.thought', signature: 'ts-a' },
      reasoning: [{ dialect: 'anthropic.thinking', signature: 'sig-1', text: 'Thinking' }, { dialect: 'anthropic.redacted_thinking', opaque: 'R' }],
    });
    expect(b).to.equal('b');
    expect(collectedCallIds(collectEvents(events).blocks), 'a whole response gets the same ids').to.deep.equal(new Map([['a', a], ['b', b]]));
  });

  it('seals the reasoning between two calls into the later call\'s id (interleaved thinking), and it comes back right before that call', () => {
    const [a, b] = ids(interleaved);
    expect(openCallId(a!, 'p').reasoning).to.deep.equal([{ dialect: 'anthropic.redacted_thinking', opaque: 'R' }, { dialect: 'anthropic.thinking', signature: 'sig-a', text: 'first' }]);
    expect(openCallId(b!, 'p').reasoning).to.deep.equal([{ dialect: 'anthropic.thinking', signature: 'sig-b', text: 'second' }]);
    expect(collectedCallIds(collectEvents(interleaved).blocks), 'a whole response gets the same ids').to.deep.equal(new Map([['a', a], ['b', b]]));
    // The first call's reasoning leads the turn (Chat's content has lost where the text stood); a later call's is right before it.
    expect(echoed([a!, b!])).to.deep.equal(['reasoning R', 'reasoning sig-a', 'text', 'call a', 'reasoning sig-b', 'call b']);
  });

  it('opens the ids of before, where the first call carried the whole turn\'s reasoning, as before', () => {
    const reasoning = [{ dialect: 'anthropic.thinking', signature: 'sig-a', text: 'first' }, { dialect: 'anthropic.thinking', signature: 'sig-b', text: 'second' }];
    expect(echoed([sealCallId('a', { reasoning }), 'b'])).to.deep.equal(['reasoning sig-a', 'reasoning sig-b', 'text', 'call a', 'call b']);
  });

  it('gives a whole response the ids a stream gets: a Responses summary goes with the encrypted reasoning after it', () => {
    const events: LipEvent[] = [
      { type: 'reasoning_delta', text: 'step one' },
      { type: 'reasoning_opaque', dialect: 'openai.responses.reasoning', data: 'ENC', id: 'rs_1' },
      { type: 'tool_call_started', id: 'c', name: 'f' },
    ];
    const [id] = ids(events);
    expect(openCallId(id!, 'p').reasoning).to.deep.equal([{ dialect: 'openai.responses.reasoning', opaque: 'ENC', id: 'rs_1', text: 'step one' }]);
    expect(collectedCallIds(collectEvents(events).blocks)).to.deep.equal(new Map([['c', id]]));
  });

  it('gives a whole response the ids a stream gets: a standalone signature (Gemini\'s of a text part) does not sign the thoughts before it', () => {
    const events: LipEvent[] = [
      { type: 'reasoning_delta', text: 'thought' },
      { type: 'reasoning_signature', signature: 'ts-text', dialect: 'gemini.thought', standalone: true },
      { type: 'text_delta', text: 'Hi' },
      { type: 'tool_call_started', id: 'c', name: 'f' },
    ];
    const [id] = ids(events);
    expect(openCallId(id!, 'p').reasoning).to.deep.equal([{ dialect: 'gemini.thought', signature: 'ts-text' }]);
    expect(collectedCallIds(collectEvents(events).blocks)).to.deep.equal(new Map([['c', id]]));
  });

  it('does not carry a signature of unknown dialect, nor let unsigned text leak into the next block', () => {
    const [id] = ids([
      { type: 'reasoning_delta', text: 'old' }, { type: 'reasoning_signature', signature: 'legacy' },
      { type: 'reasoning_opaque', dialect: 'openai.responses.reasoning', data: 'E', id: 'rs_1' },
      { type: 'tool_call_started', id: 'c', name: 'f' },
    ]);
    expect(openCallId(id!, 'p').reasoning).to.deep.equal([{ dialect: 'openai.responses.reasoning', opaque: 'E', id: 'rs_1' }]);
  });
});
