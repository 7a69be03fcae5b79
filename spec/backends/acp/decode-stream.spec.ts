import { expect } from 'chai';
import { UpdateDecoder } from '../../../lib/backends/acp/index.js';

describe('backends/acp/decode-stream: UpdateDecoder', () => {
  it('maps message and thought chunks; ignores other blocks and unknown updates', () => {
    const d = new UpdateDecoder(true);
    expect(d.decode({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'hi' } })).to.deep.equal([{ type: 'text_delta', text: 'hi' }]);
    expect(d.decode({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'hm' } })).to.deep.equal([{ type: 'reasoning_delta', text: 'hm' }]);
    expect(d.decode({ sessionUpdate: 'agent_message_chunk', content: { type: 'image', data: 'AAAA' } })).to.deep.equal([]);
    expect(d.decode({ sessionUpdate: 'usage_update', used: 1, size: 2 })).to.deep.equal([]);
    expect(d.decode({ sessionUpdate: 'current_mode_update', currentModeId: 'code' })).to.deep.equal([{ type: 'reasoning_delta', text: '\n[mode] code\n' }]);
  });

  // Found by probing: a plan after a thought chunk read `hmm[plan]` on one line.
  it('starts a plan or mode block on a line of its own, after a thought that did not end one', () => {
    const d = new UpdateDecoder(true);
    const reasoning = (update: Record<string, unknown>) => d.decode(update).map((e) => (e as { text: string }).text).join('');
    const plan = { sessionUpdate: 'plan', entries: [{ content: 'x', status: 'pending' }] };
    expect(reasoning(plan)).to.equal('[plan]\n- [pending] x\n');
    expect(reasoning({ sessionUpdate: 'current_mode_update', currentModeId: 'code' })).to.equal('[mode] code\n');
    expect(reasoning({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'hmm' } })).to.equal('hmm');
    expect(reasoning(plan)).to.equal('\n[plan]\n- [pending] x\n');
    expect(reasoning({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'so.\n' } })).to.equal('so.\n');
    expect(reasoning({ sessionUpdate: 'current_mode_update', currentModeId: 'code' })).to.equal('[mode] code\n');
    expect(reasoning({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'then' } })).to.equal('then');
    expect(reasoning({ sessionUpdate: 'current_mode_update', currentModeId: 'ask' })).to.equal('\n[mode] ask\n');
  });

  it('keeps at most 10,000 tools per turn (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED past them); updates of a kept tool go on', () => {
    const d = new UpdateDecoder(false, 'agent');
    for (let i = 0; i < 10_000; i++) d.decode({ sessionUpdate: 'tool_call', toolCallId: `t${i}`, title: 'x' });
    expect(d.decode({ sessionUpdate: 'tool_call_update', toolCallId: 't5', status: 'completed' })).to.have.length(1);
    expect(() => d.decode({ sessionUpdate: 'tool_call', toolCallId: 'one-more' })).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
  });

  it('drops thoughts, plans and modes when thoughts is off', () => {
    const d = new UpdateDecoder(false);
    expect(d.decode({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'hm' } })).to.deep.equal([]);
    expect(d.decode({ sessionUpdate: 'plan', entries: [{ content: 'x', status: 'pending' }] })).to.deep.equal([]);
  });

  it('narrates a tool once when it starts and once when it ends; flushes unfinished tools', () => {
    const d = new UpdateDecoder(true);
    const started = d.decode({ sessionUpdate: 'tool_call', toolCallId: 'a', title: 'grep', kind: 'search', status: 'in_progress', rawInput: 'abc' });
    expect(started).to.deep.equal([{ type: 'text_delta', text: '\n\n> tool `grep` (search) started\n\n' }]);
    expect(d.decode({ sessionUpdate: 'tool_call_update', toolCallId: 'a', status: 'in_progress' })).to.deep.equal([]);
    const ended = d.decode({ sessionUpdate: 'tool_call_update', toolCallId: 'a', status: 'failed', rawOutput: 'boom' });
    expect(ended).to.deep.equal([{ type: 'text_delta', text: '\n\n```tool\ngrep (search): failed\ninput: 3 bytes, output: 4 bytes\n```\n\n' }]);
    expect(d.decode({ sessionUpdate: 'tool_call_update', toolCallId: 'a', status: 'completed' })).to.deep.equal([]);
    d.decode({ sessionUpdate: 'tool_call', toolCallId: 'b', title: 'edit', kind: 'edit' });
    expect(d.flush()).to.deep.equal([{ type: 'text_delta', text: '\n\n```tool\nedit (edit): unfinished\ninput: 0 bytes, output: 0 bytes\n```\n\n' }]);
    expect(d.flush()).to.deep.equal([]);
  });
});
