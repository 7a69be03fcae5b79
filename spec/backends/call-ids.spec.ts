import { expect } from 'chai';
import { portableCallIds } from '../../lib/backends/call-ids.js';
import { emptyCall, type Call } from '../../lib/canonical/index.js';

const turn = (id: string) => [
  { role: 'assistant' as const, parts: [{ type: 'tool_call' as const, id, name: 'Bash', arguments: '{}' }] },
  { role: 'tool' as const, parts: [{ type: 'tool_result' as const, callId: id, content: 'ok' }] },
];
const LONG = `call_${'a'.repeat(111)}`;
const call: Call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }, ...turn('functions.Bash:0'), ...turn('toolu_01ABC'), ...turn(LONG)] });
const ids = (c: Call) => c.messages.flatMap((m) => m.parts.map((p) => (p.type === 'tool_call' ? p.id : p.type === 'tool_result' ? p.callId : undefined))).filter((id) => id !== undefined);

describe('backends/call-ids: history call ids the provider takes', () => {
  it('Anthropic\'s rule: characters outside [a-zA-Z0-9_-] as _, the call and its result alike; ids that fit unchanged', () => {
    const sent = portableCallIds(call, { chars: 'portable', max: 128 });
    expect(ids(sent)).to.deep.equal(['functions_Bash_0', 'functions_Bash_0', 'toolu_01ABC', 'toolu_01ABC', LONG, LONG]);
  });

  it('a length rule (OpenAI Chat, 40): a longer id is cut and tagged with a hash, the same on every turn; Kimi\'s own ids pass as they are', () => {
    const sent = portableCallIds(call, { chars: 'any', max: 40 });
    const out = ids(sent);
    expect(out.slice(0, 4)).to.deep.equal(['functions.Bash:0', 'functions.Bash:0', 'toolu_01ABC', 'toolu_01ABC']);
    expect(out[4]).to.match(/^call_a{26}_[0-9a-f]{8}$/).and.to.have.length(40);
    expect(out[5]).to.equal(out[4]);
    expect(ids(portableCallIds(call, { chars: 'any', max: 40 }))).to.deep.equal(out);
  });

  it('never takes an id in use; a call whose ids all fit, or no rule, is returned as it is', () => {
    const clash = emptyCall({ model: 'm', messages: [...turn('a.b'), ...turn('a_b')] });
    const sent = ids(portableCallIds(clash, { chars: 'portable', max: 64 }));
    expect(sent[2]).to.equal('a_b');
    expect(sent[0]).to.match(/^a_b_[0-9a-f]{8}$/);
    const fine = emptyCall({ model: 'm', messages: turn('toolu_1') });
    expect(portableCallIds(fine, { chars: 'portable', max: 64 })).to.equal(fine);
    expect(portableCallIds(call, undefined)).to.equal(call);
  });
});
