import { expect } from 'chai';
import { ChatResponseDecoder, ChatStreamDecoder } from '../../../lib/backends/openai-chat/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { openaiChatProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

function decode(body: Record<string, unknown>): LipEvent[] {
  const out: LipEvent[] = [];
  new ChatResponseDecoder('b', ['sk-secret']).decode(body, out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const completion = (message: Record<string, unknown>, finish: string | null = 'stop', extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-x', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], ...extra,
});
const failure = (body: Record<string, unknown>): LipError => thrownBy(() => decode(body));

describe('backends/openai-chat/decode-response', () => {
  it('decodes text with the id, the model, usage (cached and reasoning tokens) and the finish', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 6 }, completion_tokens_details: { reasoning_tokens: 2 } };
    expect(decode(completion({ content: 'Hello' }, 'stop', { usage }))).to.deep.equal([
      { type: 'response_started', id: 'chatcmpl-1', model: 'gpt-x' }, { type: 'message_started' },
      { type: 'text_delta', text: 'Hello' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14, cacheReadTokens: 6, reasoningTokens: 2 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('decodes parallel tool calls (ids kept, missing ones made up) with a tool_calls finish', () => {
    const events = decode(completion({
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    }, 'tool_calls'));
    const started = events.filter((e) => e.type === 'tool_call_started') as { id: string; name: string }[];
    expect(started.map((s) => s.name)).to.deep.equal(['get_weather', 'get_time']);
    expect(started[0]!.id).to.equal('call_a');
    expect(started[1]!.id).to.match(/^call_[A-Za-z0-9]{12}$/);
    expect(events).to.deep.include({ type: 'tool_call_delta', id: 'call_a', args: '{"city":"Paris"}' });
    expect(events.filter((e) => e.type === 'tool_call_finished')).to.have.length(2);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
  });

  it('reads reasoning_content (and the reasoning alias) before the text, and a refusal as text marked as refusal', () => {
    expect(decode(completion({ reasoning_content: 'hmm', content: 'ok' })).slice(2, 4)).to.deep.equal([{ type: 'reasoning_delta', text: 'hmm' }, { type: 'text_delta', text: 'ok' }]);
    expect(decode(completion({ reasoning: 'alias', content: '' }))[2]).to.deep.equal({ type: 'reasoning_delta', text: 'alias' });
    expect(decode(completion({ content: null, refusal: 'I cannot.' }))[2]).to.deep.equal({ type: 'text_delta', text: 'I cannot.', refusal: true });
  });

  it('maps finish reasons like the stream does; a missing one is a stop', () => {
    expect(decode(completion({ content: 'x' }, 'length')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(decode(completion({ content: 'x' }, 'content_filter')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'content_filter' });
    expect(decode(completion({ content: 'x' }, 'eos')).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'eos' });
    expect(decode(completion({ content: 'x' }, null)).at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('refuses a body without choices[0].message as LIP_ERR_UPSTREAM_MALFORMED', () => {
    for (const body of [{ id: 'x' }, { choices: [] }, { choices: [null, 3] }, { choices: [{ index: 0, message: 'hi' }] }]) {
      const err = failure(body);
      expect(err).to.be.instanceOf(LipError);
      expect(err).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
      expect(err.message).to.contain('choices[0].message');
    }
  });

  it('turns an in-body error into LIP_ERR_UPSTREAM_STREAM_ERROR through classify-error (transient types retryable, keys masked)', () => {
    const transient = failure({ error: { message: 'overloaded, key sk-secret', type: 'server_error' } });
    expect(transient).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(transient.message).to.contain('overloaded').and.not.contain('sk-secret');
    expect(failure({ error: 'model not loaded' })).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: false });
  });

  it('agrees with the stream decoder on every emulator script', () => {
    const scripts: Script[] = [
      { id: 'c9', text: ['Hel', 'lo'], usage: { input: 9, output: 3, cacheRead: 4, reasoning: 1 } },
      { reasoning: { text: ['a', 'b'] }, text: 'c', toolCalls: [{ id: 'call_1', name: 'f', args: ['{"x"', ':1}'] }, { id: 'call_2', name: 'g', args: '{}' }] },
      { text: 'cut', finish: 'length' },
      { text: 'odd', rawFinish: 'eos' },
    ];
    for (const script of scripts) {
      const r = decodeBothWays(openaiChatProtocol, script, recorded({ model: 'm', stream: true, stream_options: { include_usage: true } }),
        () => new ChatStreamDecoder('b', []), () => new ChatResponseDecoder('b', []));
      expect(r.violations).to.deep.equal([]);
      expect(comparable(r.whole), JSON.stringify(script)).to.deep.equal(comparable(r.streamed));
    }
  });
});
