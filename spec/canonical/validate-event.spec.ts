import { expect } from 'chai';
import { validateEvent, type LipEvent } from '../../lib/canonical/index.js';

/** Events as a hook might hand them back: the wrong types where the canonical types say otherwise. */
const bad = (event: Record<string, unknown>) => event as unknown as LipEvent;

describe('canonical/validateEvent', () => {
  it('accepts well-formed events of every type (fields the type does not name are not looked at)', () => {
    const events: LipEvent[] = [
      { type: 'response_started', id: 'r1', model: 'm' },
      { type: 'message_started' },
      { type: 'text_delta', text: '', logprobs: [{ token: 'a', logprob: -0.5, bytes: [97], top: [{ token: 'b', logprob: -2 }] }], refusal: true },
      { type: 'reasoning_delta', text: 'hm' },
      { type: 'reasoning_signature', signature: 's', dialect: 'd', standalone: true },
      { type: 'reasoning_opaque', dialect: 'd', data: 'x', id: 'o1' },
      { type: 'tool_call_started', id: 'c1', name: 'f', custom: true, caller: { dialect: 'd', value: {} }, providerFields: { dialect: 'd', value: { a: 1 } }, namespace: 'n', toolset: 't' },
      { type: 'tool_call_delta', id: 'c1', args: '' },
      { type: 'tool_call_finished', id: 'c1' },
      { type: 'web_search', id: 'w', status: 'completed', query: 'q', results: [{ url: 'u', title: 't' }] },
      { type: 'citation', url: 'u', start: 0, end: 2, searchResult: { index: 0, start: 0, end: 1 } },
      { type: 'citation', start: 0, end: 2, document: { index: 0, kind: 'page', start: 1, end: 2 } },
      { type: 'hosted_tool', id: 'h', dialect: 'd', phase: 'done', block: {}, scope: 'message' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 0, serviceTier: 'standard', compaction: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }, iterations: { dialect: 'd', value: [] } } },
      { type: 'warning', code: 'w', message: 'm' },
      { type: 'error', code: 'c', message: 'm', status: 502 },
      { type: 'response_finished', reason: 'tool_calls', raw: 'x', details: { dialect: 'd', value: {} } },
      bad({ type: 'text_delta', text: 'x', extra: 1 }),
    ];
    for (const event of events) expect(validateEvent(event), event.type).to.equal(undefined);
  });

  it('names the first malformed field, with what it must be and what it got', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'tool_call_started', name: 'f' }, 'tool_call_started.id must be a non-empty string (got undefined)'],
      [{ type: 'tool_call_started', id: 'c1' }, 'tool_call_started.name must be a non-empty string (got undefined)'],
      [{ type: 'tool_call_started', id: 'c1', name: '' }, 'tool_call_started.name must be a non-empty string (got string)'],
      [{ type: 'tool_call_delta', args: '{}' }, 'tool_call_delta.id must be a non-empty string (got undefined)'],
      [{ type: 'tool_call_finished', id: 7 }, 'tool_call_finished.id must be a non-empty string (got 7)'],
      [{ type: 'text_delta', text: null }, 'text_delta.text must be a string (got null)'],
      [{ type: 'text_delta', text: 'x', logprobs: 'garbage' }, 'text_delta.logprobs must be an array (got string)'],
      [{ type: 'text_delta', text: 'x', logprobs: [{ token: 'a', logprob: Number.NaN }] }, 'text_delta.logprobs[0].logprob must be a finite number (got NaN)'],
      [{ type: 'reasoning_delta', text: 5 }, 'reasoning_delta.text must be a string (got 5)'],
      [{ type: 'usage', usage: null }, 'usage.usage must be an object (got null)'],
      [{ type: 'usage', usage: 'lots' }, 'usage.usage must be an object (got string)'],
      [{ type: 'usage', usage: { inputTokens: 'many' } }, 'usage.usage.inputTokens must be a finite number of at least 0 (got string)'],
      [{ type: 'usage', usage: { outputTokens: -5 } }, 'usage.usage.outputTokens must be a finite number of at least 0 (got -5)'],
      [{ type: 'usage', usage: { totalTokens: Infinity } }, 'usage.usage.totalTokens must be a finite number of at least 0 (got Infinity)'],
      [{ type: 'response_started', id: { x: 1 } }, 'response_started.id must be a string (got object)'],
      [{ type: 'warning', code: 5, message: null }, 'warning.code must be a string (got 5)'],
      [{ type: 'citation', url: 'u', start: 0 }, 'citation.end must be a finite number of at least 0 (got undefined)'],
      [{ type: 'citation', start: 0, end: 2 }, 'citation names no source (its url or its document)'],
      [{ type: 'web_search', id: 'w', status: 'done' }, 'web_search.status must be one of searching, completed, failed (got string)'],
      [{ type: 'response_finished', reason: 'banana' }, 'response_finished.reason must be one of stop, length, tool_calls, content_filter, stop_sequence, other (got string)'],
      [{ type: 'response_finished' }, 'response_finished.reason must be one of stop, length, tool_calls, content_filter, stop_sequence, other (got undefined)'],
    ];
    for (const [event, problem] of cases) expect(validateEvent(bad(event))).to.equal(problem);
  });

  it('an answer that is no event at all, or of an unknown type, is named as such', () => {
    expect(validateEvent(null)).to.equal('an event must be an object (got null)');
    expect(validateEvent('text_delta')).to.equal('an event must be an object (got string)');
    expect(validateEvent({})).to.equal('unknown event type undefined');
    expect(validateEvent({ type: 'bogus' })).to.equal('unknown event type "bogus"');
    expect(validateEvent({ type: 10n })).to.equal('unknown event type bigint');
    expect(validateEvent({ type: 'toString' })).to.equal('unknown event type "toString"');
  });
});
