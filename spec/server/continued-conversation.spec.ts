import { expect } from 'chai';
import { emptyCall, type Message, type ToolDefinition } from '../../lib/canonical/index.js';
import type { Conversation } from '../../lib/continuity/index.js';
import type { Continuation } from '../../lib/frontends/protocol.js';
import { inConversation } from '../../lib/server/continued-conversation.js';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const SYS = [{ type: 'text' as const, text: 'You are SYS' }];
const ADD: ToolDefinition = { name: 'add', parameters: { type: 'object' } };
const thread: Continuation = { store: true, keepsPrompt: true, idPrefix: 'msg_', previousParam: 'thread.previous_message_id' };
const conversation = (echoes: Conversation['echoes']): Conversation => ({ responseId: 'msg_b', messages: [user('one'), user('two')], aLegId: undefined, sessionId: undefined, echoes });

describe('server/continued-conversation inConversation', () => {
  it('puts the stored turns before the request\'s messages; a Responses continuation keeps the request\'s own system and tools', () => {
    const call = emptyCall({ model: 'm', system: SYS, tools: [ADD], messages: [user('three')] });
    const responses: Continuation = { store: true, previousResponseId: 'resp_b' };
    const { call: continued, continuation } = inConversation(call, responses, conversation([{ thread_prompt: { system: [], tools: [] } }]));
    expect(continued.messages).to.deep.equal([user('one'), user('two'), user('three')]);
    expect([continued.system, continued.tools]).to.deep.equal([SYS, [ADD]]);
    expect(continuation).to.equal(responses);
    expect(inConversation(call, undefined, undefined)).to.deep.equal({ call, continuation: undefined });
  });

  it('the turn that creates a thread keeps its system and tools with its stored fields', () => {
    const call = emptyCall({ model: 'm', system: SYS, tools: [ADD], messages: [user('one')] });
    const { call: same, continuation } = inConversation(call, { ...thread, echo: { other: 1 } }, undefined);
    expect(same).to.equal(call);
    expect(continuation!.echo).to.deep.equal({ other: 1, thread_prompt: { system: SYS, tools: [ADD] } });
  });

  it('a thread\'s continue takes the system and tools its first turn kept (the newest kept), and keeps nothing more', () => {
    const call = emptyCall({ model: 'm', messages: [user('three')] });
    const newer = [{ type: 'text' as const, text: 'newer' }];
    const { call: continued, continuation } = inConversation(call, { ...thread, previousResponseId: 'msg_b' }, conversation([
      { thread_prompt: { system: SYS, tools: [ADD] } }, { completed_at: 1, thread_prompt: { system: newer, tools: [] } }, undefined,
    ]));
    expect(continued).to.deep.include({ system: newer, tools: [] });
    expect(continued.messages).to.have.length(3);
    expect(continuation).to.deep.equal({ ...thread, previousResponseId: 'msg_b' });
    // The first turn's, when it alone kept them.
    expect(inConversation(call, thread, conversation([{ thread_prompt: { system: SYS, tools: [ADD] } }, undefined])).call).to.deep.include({ system: SYS, tools: [ADD] });
    // A thread stored before lip kept them: the request's own (none).
    expect(inConversation(call, thread, conversation([undefined, undefined])).call).to.deep.include({ system: [], tools: [] });
  });

  it('a thread\'s continue sends its stored turns without their cache marks, and keeps those of the thread\'s system and tools and of the new turn', () => {
    const marked = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text, cache: {} }] });
    const stored: Message[] = [
      marked('one'),
      { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: 'anthropic', block: { type: 'web_fetch_tool_result', cache_control: { type: 'ephemeral' } } }] },
      { role: 'user', parts: [{ type: 'tool_result', callId: 't1', cache: { ttl: '1h' }, content: [{ type: 'text', text: 'r', cache: {} }] }] },
    ];
    const prompt = { system: [{ ...SYS[0]!, cache: {} }], tools: [{ ...ADD, cache: {} }] };
    const call = emptyCall({ model: 'm', messages: [marked('two')] });
    const { call: continued } = inConversation(call, { ...thread, previousResponseId: 'msg_b' }, { ...conversation([{ thread_prompt: prompt }]), messages: stored });
    expect(continued.messages).to.deep.equal([
      user('one'),
      { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: 'anthropic', block: { type: 'web_fetch_tool_result' } }] },
      { role: 'user', parts: [{ type: 'tool_result', callId: 't1', content: [{ type: 'text', text: 'r' }] }] },
      marked('two'),
    ]);
    expect(continued).to.deep.include(prompt);
    // A Responses continuation's history is left as stored (its OpenAI breakpoints are fitted to the backend's limit there).
    expect(inConversation(call, { store: true, previousResponseId: 'resp_b' }, { ...conversation([]), messages: stored }).call.messages.slice(0, 3)).to.deep.equal(stored);
  });
});
