import { expect } from 'chai';
import { isOutputEvent, isSubstantiveOutput, isTerminalEvent, type LipEvent } from '../../lib/canonical/index.js';

describe('canonical/isOutputEvent', () => {
  const cases: [LipEvent, boolean][] = [
    [{ type: 'response_started' }, false],
    [{ type: 'message_started' }, false],
    [{ type: 'text_delta', text: 'a' }, true],
    [{ type: 'text_delta', text: ' ' }, true],
    [{ type: 'text_delta', text: '' }, false],
    [{ type: 'reasoning_delta', text: 'r' }, true],
    [{ type: 'reasoning_signature', signature: 's' }, false],
    [{ type: 'reasoning_opaque', dialect: 'd', data: 'x' }, true],
    [{ type: 'tool_call_started', id: '1', name: 'f' }, true],
    [{ type: 'tool_call_delta', id: '1', args: '{' }, true],
    [{ type: 'tool_call_finished', id: '1' }, false],
    [{ type: 'usage', usage: {} }, false],
    [{ type: 'warning', code: 'w', message: 'm' }, false],
    [{ type: 'response_finished', reason: 'stop' }, false],
    [{ type: 'web_search', id: 'ws', status: 'searching' }, true],
    [{ type: 'citation', url: 'https://a.example', start: 0, end: 1 }, false],
    [{ type: 'hosted_tool', id: 'ci', dialect: 'd', phase: 'added', block: {} }, true],
    [{ type: 'hosted_tool', id: 'container', dialect: 'd', phase: 'done', block: {}, scope: 'message' }, false],
  ];
  for (const [event, expected] of cases) {
    it(`${JSON.stringify(event)} commits: ${expected}`, () => expect(isOutputEvent(event)).to.equal(expected));
  }

  it('whitespace commits but cannot win a race; a tool call can', () => {
    expect(isSubstantiveOutput({ type: 'text_delta', text: ' \n' })).to.equal(false);
    expect(isSubstantiveOutput({ type: 'reasoning_delta', text: ' x' })).to.equal(true);
    expect(isSubstantiveOutput({ type: 'tool_call_started', id: '1', name: 'f' })).to.equal(true);
    expect(isSubstantiveOutput({ type: 'reasoning_opaque', dialect: 'd', data: 'x' })).to.equal(true);
    expect(isSubstantiveOutput({ type: 'usage', usage: {} })).to.equal(false);
    // A hosted search is the model at work: it wins a race and ends a TTFT budget like a tool call.
    expect(isSubstantiveOutput({ type: 'web_search', id: 'ws', status: 'searching' })).to.equal(true);
    expect(isSubstantiveOutput({ type: 'citation', url: 'https://a.example', start: 0, end: 1 })).to.equal(false);
    // So is a hosted tool at work; a record of the whole message (a container) is not.
    expect(isSubstantiveOutput({ type: 'hosted_tool', id: 'ci', dialect: 'd', phase: 'done', block: {} })).to.equal(true);
    expect(isSubstantiveOutput({ type: 'hosted_tool', id: 'c', dialect: 'd', phase: 'done', block: {}, scope: 'message' })).to.equal(false);
  });

  it('knows the terminal events', () => {
    expect(isTerminalEvent({ type: 'response_finished', reason: 'stop' })).to.equal(true);
    expect(isTerminalEvent({ type: 'error', code: 'c', message: 'm' })).to.equal(true);
    expect(isTerminalEvent({ type: 'usage', usage: {} })).to.equal(false);
  });
});
