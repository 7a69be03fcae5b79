import { expect } from 'chai';
import fc from 'fast-check';
import { BedrockStreamDecoder, EventStreamFramer, headerString, type EventStreamMessage } from '../../../lib/backends/bedrock/index.js';
import type { LipEvent } from '../../../lib/canonical/index.js';
import { toLipError } from '../../../lib/errors/index.js';
import { bedrockFrame, bedrockProtocol } from '../../helpers/emulators/index.js';

const FRAMES = bedrockProtocol.frames({
  reasoning: { text: ['Hm', 'm'], signature: 'sig' }, text: ['Hello', ' wörld 🌍'],
  toolCalls: [{ id: 't1', name: 'f', args: ['{"a":', '1}'] }], usage: { input: 7, output: 3 },
}, {} as never).map((f) => Buffer.from(f.bytes!));
const BODY = Buffer.concat(FRAMES);

/** Feeds `body` cut at `cuts` through a framer and the decoder; the events (or the error code). */
function decode(body: Buffer, cuts: number[], maxFrame?: number, stops: readonly string[] = []): LipEvent[] | string {
  const framer = new EventStreamFramer('br', maxFrame);
  const decoder = new BedrockStreamDecoder('br', [], stops);
  const out: LipEvent[] = [];
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  try {
    for (const p of [...points, body.length]) {
      for (const m of framer.push(body.subarray(at, p))) decoder.message(m, out);
      at = p;
    }
    for (const m of framer.end()) decoder.message(m, out);
    decoder.end(out);
  } catch (err) {
    return toLipError(err).code;
  }
  return out;
}

describe('backends/bedrock/event-stream-framer', () => {
  const whole = decode(BODY, []);

  it('decodes a whole body into the canonical events', () => {
    expect(whole).to.deep.equal([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'reasoning_delta', text: 'Hm' }, { type: 'reasoning_delta', text: 'm' }, { type: 'reasoning_signature', signature: 'sig', dialect: 'anthropic.thinking' },
      { type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ' wörld 🌍' },
      { type: 'tool_call_started', id: 't1', name: 'f' }, { type: 'tool_call_delta', id: 't1', args: '{"a":' }, { type: 'tool_call_delta', id: 't1', args: '1}' },
      { type: 'tool_call_finished', id: 't1' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 } },
      { type: 'response_finished', reason: 'tool_calls' },
    ]);
  });

  it('yields the same events whatever the chunk boundaries (property: random splits, single bytes included)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: BODY.length }), { maxLength: 40 }), (cuts) => {
      expect(decode(BODY, cuts)).to.deep.equal(whole);
    }), { numRuns: 300 });
    const everyByte = Array.from({ length: BODY.length }, (_, i) => i);
    expect(decode(BODY, everyByte)).to.deep.equal(whole);
  });

  it('keeps a partial frame until it is complete, and yields nothing for a body that ends inside one', () => {
    const framer = new EventStreamFramer('br');
    expect(framer.push(FRAMES[0]!.subarray(0, 10))).to.deep.equal([]);
    const [message] = framer.push(FRAMES[0]!.subarray(10)) as EventStreamMessage[];
    expect(headerString(message!, ':event-type')).to.equal('messageStart');
    expect(framer.push(FRAMES[1]!.subarray(0, 5))).to.deep.equal([]);
    expect(framer.end()).to.deep.equal([]);
  });

  it('refuses a frame with a bad CRC or an impossible length as malformed, and an oversized one before buffering it', () => {
    const corrupt = Buffer.from(FRAMES[1]!);
    corrupt[corrupt.length - 1]! ^= 1;
    expect(decode(Buffer.concat([FRAMES[0]!, corrupt]), [3])).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    const tiny = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0]);
    expect(decode(tiny, [])).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    expect(decode(Buffer.from(bedrockFrame('metadata', { pad: 'x'.repeat(5000) })).subarray(0, 8), [], 1024)).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
  });

  it('joins a frame that arrives in many pieces once: the bytes copied grow linearly, not quadratically', () => {
    const big = Buffer.from(bedrockFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x'.repeat(2 * 1024 * 1024) } }));
    const body = Buffer.concat([big, FRAMES[0]!]);
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: readonly Uint8Array[], length?: number) => {
      const joined = concat(list, length);
      copied += joined.length;
      return joined;
    }) as typeof Buffer.concat;
    const messages: EventStreamMessage[] = [];
    try {
      const framer = new EventStreamFramer('br');
      for (let at = 0; at < body.length; at += 2048) messages.push(...framer.push(body.subarray(at, at + 2048)));
    } finally {
      Buffer.concat = concat;
    }
    expect(messages.map((m) => headerString(m, ':event-type'))).to.deep.equal(['contentBlockDelta', 'messageStart']);
    // Joining on every piece copied about 1 GiB here (1,025 pieces, 1 MiB each on average).
    expect(copied).to.be.below(2 * body.length);
  });

  it('maps every stop reason, keeping the raw value where the canonical name says less', () => {
    const stop = (stopReason: string) => {
      const out = decode(Buffer.concat([Buffer.from(bedrockFrame('messageStart', { role: 'assistant' })), Buffer.from(bedrockFrame('messageStop', { stopReason })), Buffer.from(bedrockFrame('metadata', {}))]), []);
      return (out as LipEvent[]).at(-1);
    };
    expect(stop('end_turn')).to.deep.equal({ type: 'response_finished', reason: 'stop' });
    expect(stop('stop_sequence')).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence' });
    expect(stop('max_tokens')).to.deep.equal({ type: 'response_finished', reason: 'length' });
    expect(stop('model_context_window_exceeded')).to.deep.equal({ type: 'response_finished', reason: 'length', raw: 'model_context_window_exceeded' });
    expect(stop('guardrail_intervened')).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'guardrail_intervened' });
    expect(stop('content_filtered')).to.deep.equal({ type: 'response_finished', reason: 'content_filter', raw: 'content_filtered' });
    expect(stop('malformed_tool_use')).to.deep.equal({ type: 'response_finished', reason: 'other', raw: 'malformed_tool_use' });
  });

  // Found by probing the SDKs: an Anthropic client's stop sequence that fired on Bedrock came back
  // as stop_reason stop_sequence with stop_sequence null (Converse does not say which one fired).
  it('names the matched stop sequence: the model\'s own field when Converse returns it, else the call\'s only one', () => {
    const finish = (stop: Record<string, unknown>, stops: readonly string[]) => (decode(Buffer.concat([
      Buffer.from(bedrockFrame('messageStart', { role: 'assistant' })), Buffer.from(bedrockFrame('messageStop', stop)), Buffer.from(bedrockFrame('metadata', {})),
    ]), [], undefined, stops) as LipEvent[]).at(-1);
    expect(finish({ stopReason: 'stop_sequence' }, ['END'])).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence', stopSequence: 'END' });
    expect(finish({ stopReason: 'stop_sequence' }, ['END', 'STOP'])).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence' });
    expect(finish({ stopReason: 'stop_sequence', additionalModelResponseFields: { delta: { stop_sequence: 'STOP' } } }, ['END', 'STOP'])).to.deep.equal({ type: 'response_finished', reason: 'stop_sequence', stopSequence: 'STOP' });
    expect(finish({ stopReason: 'end_turn' }, ['END'])).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('ends after messageStop when the body ends without the metadata event', () => {
    const out = decode(Buffer.concat([Buffer.from(bedrockFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } })), Buffer.from(bedrockFrame('messageStop', { stopReason: 'end_turn' }))]), []);
    expect(out).to.deep.equal([{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'x' }, { type: 'response_finished', reason: 'stop' }]);
  });
});
