import { expect } from 'chai';
import { collectEvents, type LipEvent } from '../../../lib/canonical/index.js';
import { collectedCallIds, TurnState } from '../../../lib/frontends/openai-chat/turn-state.js';
import { openCallId } from '../../../lib/frontends/state-envelope.js';

const ids = (events: readonly LipEvent[]): string[] => {
  const state = new TurnState();
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'tool_call_started') out.push(state.callId(e));
    else state.push(e);
  }
  return out;
};

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

  it('does not carry a signature of unknown dialect, nor let unsigned text leak into the next block', () => {
    const [id] = ids([
      { type: 'reasoning_delta', text: 'old' }, { type: 'reasoning_signature', signature: 'legacy' },
      { type: 'reasoning_opaque', dialect: 'openai.responses.reasoning', data: 'E', id: 'rs_1' },
      { type: 'tool_call_started', id: 'c', name: 'f' },
    ]);
    expect(openCallId(id!, 'p').reasoning).to.deep.equal([{ dialect: 'openai.responses.reasoning', opaque: 'E', id: 'rs_1' }]);
  });
});
