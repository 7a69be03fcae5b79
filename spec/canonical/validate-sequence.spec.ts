import { expect } from 'chai';
import { validateSequence, type LipEvent } from '../../lib/canonical/index.js';

const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const finish: LipEvent = { type: 'response_finished', reason: 'stop' };

describe('canonical/validateSequence', () => {
  it('accepts text, reasoning, interleaved tool calls, usage and a finish', () => {
    expect(validateSequence([
      ...start,
      { type: 'reasoning_delta', text: 'hm' },
      { type: 'reasoning_signature', signature: 's' },
      { type: 'text_delta', text: 'a' },
      { type: 'tool_call_started', id: '1', name: 'f' },
      { type: 'tool_call_started', id: '2', name: 'g' },
      { type: 'tool_call_delta', id: '2', args: '{}' },
      { type: 'tool_call_delta', id: '1', args: '{}' },
      { type: 'tool_call_finished', id: '1' },
      { type: 'tool_call_finished', id: '2' },
      { type: 'usage', usage: { inputTokens: 1 } },
      finish,
    ])).to.deep.equal([]);
  });

  it('requires response_started first, exactly once', () => {
    expect(validateSequence([{ type: 'message_started' }, finish])[0]).to.contain('message_started before response_started');
    expect(validateSequence([...start, { type: 'response_started' }, finish])).to.deep.equal(['event 2: a second response_started']);
  });

  it('requires a message before content', () => {
    expect(validateSequence([{ type: 'response_started' }, { type: 'text_delta', text: 'x' }, finish]))
      .to.deep.equal(['event 1: text_delta before message_started']);
  });

  it('allows usage and warnings before a message', () => {
    expect(validateSequence([{ type: 'response_started' }, { type: 'usage', usage: {} }, { type: 'warning', code: 'w', message: 'm' }, finish])).to.deep.equal([]);
  });

  it('checks the tool call lifecycle per id', () => {
    expect(validateSequence([...start, { type: 'tool_call_delta', id: 'x', args: '{' }, finish])[0]).to.contain('never started');
    expect(validateSequence([...start, { type: 'tool_call_started', id: 'x', name: 'f' }, { type: 'tool_call_started', id: 'x', name: 'f' }, finish])[0]).to.contain('started twice');
    expect(validateSequence([...start, { type: 'tool_call_started', id: 'x', name: 'f' }, { type: 'tool_call_finished', id: 'x' }, { type: 'tool_call_delta', id: 'x', args: '' }, finish])[0]).to.contain('after it finished');
    expect(validateSequence([...start, { type: 'tool_call_started', id: 'x', name: 'f' }, finish])[0]).to.contain('still open');
  });

  it('checks a web search lifecycle per id and a citation against the text so far', () => {
    const search = (status: 'searching' | 'completed' | 'failed') => ({ type: 'web_search' as const, id: 's', status });
    expect(validateSequence([...start, search('searching'), search('completed'), finish])).to.deep.equal([]);
    expect(validateSequence([...start, search('completed'), finish])).to.deep.equal([]); // Gemini reports it done at once
    expect(validateSequence([...start, search('failed'), search('completed'), finish])[0]).to.contain('web_search s after it failed');
    expect(validateSequence([{ type: 'response_started' }, search('searching'), finish])[0]).to.contain('web_search before message_started');
    const text: LipEvent[] = [{ type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }];
    expect(validateSequence([...start, ...text, { type: 'citation', url: 'u', start: 3, end: 5 }, finish])).to.deep.equal([]);
    expect(validateSequence([...start, ...text, { type: 'citation', url: 'u', start: 3, end: 6 }, finish])[0]).to.contain('citation of 3..6 beyond the 5 characters');
    expect(validateSequence([...start, ...text, { type: 'citation', url: 'u', start: 4, end: 2 }, finish])[0]).to.contain('citation of 4..2');
  });

  it('requires one terminal event and nothing after it', () => {
    expect(validateSequence([...start, { type: 'text_delta', text: 'x' }])).to.deep.equal(['the stream ended without response_finished or error']);
    expect(validateSequence([...start, finish, { type: 'text_delta', text: 'x' }])).to.deep.equal(['event 3: text_delta after the terminal event']);
    expect(validateSequence([...start, { type: 'error', code: 'c', message: 'm' }])).to.deep.equal([]);
  });

  it('checks each event\'s fields before its place (validateEvent): a tool call without its id never opens', () => {
    expect(validateSequence([...start, { type: 'tool_call_started', name: 'f' } as unknown as LipEvent, { type: 'tool_call_finished' } as unknown as LipEvent, finish]))
      .to.deep.equal(['event 2: tool_call_started.id must be a non-empty string (got undefined)', 'event 3: tool_call_finished.id must be a non-empty string (got undefined)']);
    expect(validateSequence([...start, { type: 'text_delta', text: null } as unknown as LipEvent, finish]))
      .to.deep.equal(['event 2: text_delta.text must be a string (got null)']);
  });

  it('rejects unknown event types', () => {
    expect(validateSequence([...start, { type: 'bogus' } as unknown as LipEvent, finish])[0]).to.contain('unknown event type');
  });

  it('checks the hosted tool lifecycle per id: added first and once, progress after it, done last', () => {
    const block = { type: 'code_interpreter_call', id: 'ci_1' };
    const hosted = (phase: 'added' | 'progress' | 'done', extra: Record<string, unknown> = {}): LipEvent => ({ type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase, ...extra });
    expect(validateSequence([...start, hosted('added', { block }), hosted('progress', { update: { type: 'x' } }), hosted('done', { block }), finish])).to.deep.equal([]);
    expect(validateSequence([...start, hosted('done', { block }), finish])).to.deep.equal([]);
    expect(validateSequence([...start, hosted('progress', { update: {} }), finish])[0]).to.contain('progress before it was added');
    expect(validateSequence([...start, hosted('added', { block }), hosted('added', { block }), finish])[0]).to.contain('added twice');
    expect(validateSequence([...start, hosted('done', { block }), hosted('progress', { update: {} }), finish])[0]).to.contain('after it was done');
    expect(validateSequence([...start, hosted('done'), finish])[0]).to.contain('without its block');
    expect(validateSequence([{ type: 'response_started' }, hosted('done', { block }), finish])[0]).to.contain('hosted_tool before message_started');
  });
});
