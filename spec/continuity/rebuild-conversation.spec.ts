import { expect } from 'chai';
import { collectEvents, emptyCall, validateCall, type LipEvent } from '../../lib/canonical/index.js';
import { assistantMessage, conversationMessages, UNLABELED_REASONING_DIALECT, type StoredResponse } from '../../lib/continuity/index.js';

const stored = (id: string, input: StoredResponse['input'], events: LipEvent[], reasoningDialect?: string): StoredResponse => ({
  id, principal: 'p', previousResponseId: undefined, aLegId: undefined, sessionId: undefined, model: undefined,
  input, output: collectEvents(events), reasoningDialect, echo: undefined, createdAt: 0,
});

describe('continuity/rebuild-conversation', () => {
  it('turns a collected response into one assistant message, block by block in output order', () => {
    const response = collectEvents([
      { type: 'response_started' },
      { type: 'reasoning_delta', text: 'think' }, { type: 'reasoning_signature', signature: 'sig' },
      { type: 'reasoning_opaque', dialect: 'vendor.encrypted', data: 'blob', id: 'rs_1' },
      { type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ' there' },
      { type: 'tool_call_started', id: 'c1', name: 'lookup', signature: 'ts' }, { type: 'tool_call_delta', id: 'c1', args: '{"q":1}' },
      { type: 'tool_call_finished', id: 'c1' },
      { type: 'response_finished', reason: 'tool_calls' },
    ]);
    expect(assistantMessage(response, 'backend.dialect')).to.deep.equal({
      role: 'assistant',
      parts: [
        { type: 'reasoning', dialect: 'backend.dialect', text: 'think', signature: 'sig' },
        { type: 'reasoning', dialect: 'vendor.encrypted', opaque: 'blob', id: 'rs_1' },
        { type: 'text', text: 'Hello there' },
        { type: 'tool_call', id: 'c1', name: 'lookup', arguments: '{"q":1}', signature: 'ts' },
      ],
    });
  });

  it('keeps a finished web search as a web search part (an unfinished one has nothing to send back)', () => {
    const response = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'web_search', id: 'ws_1', status: 'searching', dialect: 'd.search' },
      { type: 'web_search', id: 'ws_1', status: 'completed', query: 'q', results: [{ url: 'https://a.example', encrypted: 'e' }], dialect: 'd.search' },
      { type: 'web_search', id: 'ws_2', status: 'searching', dialect: 'd.search' },
      { type: 'text_delta', text: 'Found it.' },
      { type: 'citation', url: 'https://a.example', start: 0, end: 5 },
      { type: 'response_finished', reason: 'stop' },
    ]);
    const message = assistantMessage(response)!;
    expect(message.parts).to.deep.equal([
      { type: 'web_search', id: 'ws_1', status: 'completed', query: 'q', results: [{ url: 'https://a.example', encrypted: 'e' }], dialect: 'd.search' },
      { type: 'text', text: 'Found it.' },
    ]);
    expect(validateCall(emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }, message] }))).to.deep.equal([]);
  });

  it('keeps a finished hosted tool block as a hosted part; an unfinished one and a message record add none', () => {
    const call = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'bash_code_execution', input: { command: 'ls' } };
    const response = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'hosted_tool', id: 'srvtoolu_1', dialect: 'd.hosted', phase: 'done', block: call },
      { type: 'hosted_tool', id: 'srvtoolu_2', dialect: 'd.hosted', phase: 'added', block: { type: 'server_tool_use', id: 'srvtoolu_2' } },
      { type: 'text_delta', text: 'Listed.' },
      { type: 'hosted_tool', id: 'container', dialect: 'd.hosted', phase: 'done', block: { id: 'cntr_1' }, scope: 'message' },
      { type: 'response_finished', reason: 'stop' },
    ]);
    const message = assistantMessage(response)!;
    expect(message.parts).to.deep.equal([{ type: 'hosted_tool', dialect: 'd.hosted', block: call }, { type: 'text', text: 'Listed.' }]);
    expect(validateCall(emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'x' }] }, message] }))).to.deep.equal([]);
  });

  it('labels unlabelled reasoning as unreplayable when the dialect is unknown', () => {
    const response = collectEvents([{ type: 'reasoning_signature', signature: 'only-sig' }, { type: 'text_delta', text: 'x' }]);
    expect(assistantMessage(response)?.parts[0]).to.deep.equal({ type: 'reasoning', dialect: UNLABELED_REASONING_DIALECT, signature: 'only-sig' });
  });

  it('adds no turn for a response that produced nothing', () => {
    expect(assistantMessage(collectEvents([{ type: 'response_started' }, { type: 'response_finished', reason: 'stop' }]))).to.equal(undefined);
  });

  it('chains inputs and replies oldest first into messages a new call accepts', () => {
    const messages = conversationMessages([
      stored('r1', [{ role: 'user', parts: [{ type: 'text', text: 'one' }] }], [{ type: 'text_delta', text: 'uno' }]),
      stored('r2', [{ role: 'user', parts: [{ type: 'text', text: 'two' }] }], [{ type: 'response_finished', reason: 'stop' }]),
      stored('r3', [{ role: 'user', parts: [{ type: 'text', text: 'three' }] }], [{ type: 'reasoning_delta', text: 'hmm' }, { type: 'text_delta', text: 'tres' }], 'd.x'),
    ]);
    expect(messages.map((m) => `${m.role}:${m.parts.map((p) => ('text' in p ? p.text : p.type)).join('+')}`)).to.deep.equal([
      'user:one', 'assistant:uno', 'user:two', 'user:three', 'assistant:hmm+tres',
    ]);
    expect(validateCall(emptyCall({ model: 'm', messages }))).to.deep.equal([]);
  });
});
