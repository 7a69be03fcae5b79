import { expect } from 'chai';
import { ChatStreamDecoder, mapChatFinishReason } from '../../../lib/backends/openai-chat/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

/** Decodes `data:` payloads (objects are JSON-encoded) and checks the canonical order. */
function decode(frames: unknown[], end = true): LipEvent[] {
  const decoder = new ChatStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: typeof f === 'string' ? f : JSON.stringify(f) }, out);
  if (end) decoder.end(out);
  return out;
}
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

describe('backends/openai-chat/decode-stream', () => {
  it('reads reasoning_content and the reasoning alias as reasoning, refusals as text marked as refusal', () => {
    const events = decode([chunk({ reasoning_content: 'a' }), chunk({ reasoning: 'b' }), chunk({ refusal: 'no' }), chunk({}, 'stop'), '[DONE]']);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2, 5)).to.deep.equal([{ type: 'reasoning_delta', text: 'a' }, { type: 'reasoning_delta', text: 'b' }, { type: 'text_delta', text: 'no', refusal: true }]);
  });

  it('reads content beside an empty tool_calls list as text, and then a call as a call (the list opens no call)', () => {
    const events = decode([
      chunk({ role: 'assistant', content: 'Let me ', tool_calls: [] }), chunk({ content: 'check.', tool_calls: [] }),
      chunk({ tool_calls: [{ index: 0, id: 'x1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }),
      chunk({ content: null, tool_calls: [] }, 'stop'), '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'text_delta', text: 'Let me ' }, { type: 'text_delta', text: 'check.' },
      { type: 'tool_call_started', id: 'x1', name: 'f' }, { type: 'tool_call_delta', id: 'x1', args: '{"a":1}' }, { type: 'tool_call_finished', id: 'x1' },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('keeps parallel calls apart even when a server reuses index 0, and makes up missing ids', () => {
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: 'x1', function: { name: 'f', arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'x2', function: { name: 'g', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { name: 'h', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'), '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    const started = events.filter((e) => e.type === 'tool_call_started') as { id: string; name: string }[];
    expect(started.map((s) => s.name)).to.deep.equal(['f', 'g', 'h']);
    expect(started[0]!.id).to.equal('x1');
    expect(started[2]!.id).to.match(/^call_[A-Za-z0-9]{12}$/);
    expect(events.filter((e) => e.type === 'tool_call_delta' && e.id === 'x1').map((e) => (e as { args: string }).args).join('')).to.equal('{"a":1}');
  });

  it('continues the newest call with fragments that carry no index (servers that omit it), a new id starting the next', () => {
    const events = decode([
      chunk({ tool_calls: [{ id: 'x1', type: 'function', function: { name: 'f', arguments: '' } }] }),
      chunk({ tool_calls: [{ function: { arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ id: 'x1', function: { arguments: '1}' } }] }),
      chunk({ tool_calls: [{ id: 'x2', type: 'function', function: { name: 'g', arguments: '{"b":2}' } }] }),
      chunk({}, 'tool_calls'), '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 'x1', name: 'f' }, { type: 'tool_call_delta', id: 'x1', args: '{"a":' }, { type: 'tool_call_delta', id: 'x1', args: '1}' },
      { type: 'tool_call_started', id: 'x2', name: 'g' }, { type: 'tool_call_delta', id: 'x2', args: '{"b":2}' },
      { type: 'tool_call_finished', id: 'x1' }, { type: 'tool_call_finished', id: 'x2' },
    ]);
  });

  it('holds arguments that arrive before the name, and never surfaces an unnamed call', () => {
    const events = decode([chunk({ tool_calls: [{ index: 0, id: 't', function: { arguments: '{"q"' } }] }), chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: ':2}' } }] }), chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }), chunk({}, 'tool_calls'), '[DONE]']);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 't', name: 'f' }, { type: 'tool_call_delta', id: 't', args: '{"q"' }, { type: 'tool_call_delta', id: 't', args: ':2}' }, { type: 'tool_call_finished', id: 't' },
    ]);
  });

  it('finishes after the usage chunk, at [DONE], or at the end of a body without [DONE]', () => {
    const withDone = decode([chunk({ content: 'x' }), chunk({}, 'length'), { id: 'c1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }, '[DONE]'], false);
    expect(withDone.slice(-2)).to.deep.equal([{ type: 'usage', usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }, { type: 'response_finished', reason: 'length' }]);
    expect(decode([chunk({ content: 'x' }), chunk({}, 'stop')]).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
    expect(decode([chunk({ content: 'x' })]).at(-1)).to.deep.equal({ type: 'text_delta', text: 'x' });
  });

  it('throws the in-band error frame and rejects frames that are not JSON', () => {
    expect(() => decode([{ error: { message: 'boom', type: 'server_error' } }])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_STREAM_ERROR');
    expect(() => decode(['{nope'])).to.throw().with.property('code', 'LIP_ERR_UPSTREAM_MALFORMED');
  });

  it('maps finish reasons faithfully', () => {
    expect(mapChatFinishReason('function_call')).to.deep.equal({ reason: 'tool_calls', raw: 'function_call' });
    expect(mapChatFinishReason('content_filter')).to.deep.equal({ reason: 'content_filter' });
    expect(mapChatFinishReason('eos_token')).to.deep.equal({ reason: 'other', raw: 'eos_token' });
  });
});
