import { expect } from 'chai';
import { COLLECT_LIMITS, emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { AnthropicStreamEncoder } from '../../lib/frontends/anthropic/index.js';
import { GeminiStreamEncoder } from '../../lib/frontends/gemini/index.js';
import { HeldOutput } from '../../lib/wire/held-output.js';
import { ResponsesStreamEncoder } from '../../lib/frontends/openai-responses/index.js';
import type { EncodeContext, StreamEncoder } from '../../lib/frontends/protocol.js';

const context: EncodeContext = { call: emptyCall({ model: 'm' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };
const MiB = 1024 * 1024;

/** Feeds events until the encoder throws; returns the error and how many events it took. */
function feed(encoder: StreamEncoder, events: Iterable<LipEvent>): { error: LipError | undefined; fed: number } {
  let fed = 0;
  try {
    for (const e of events) {
      encoder.event(e);
      fed++;
    }
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return { error: err as LipError, fed };
  }
  return { error: undefined, fed };
}

function* forever(first: LipEvent[], repeat: LipEvent, max: number): Generator<LipEvent> {
  yield* first;
  for (let i = 0; i < max; i++) yield repeat;
}

describe('wire/held-output', () => {
  it('counts each kind against its own limit and names it', () => {
    const held = new HeldOutput({ text: 10, reasoning: 5, args: 3 });
    held.add('text', 10);
    held.add('reasoning', 5);
    held.add('args', 3);
    expect(() => held.add('args', 1)).to.throw(LipError, 'the streamed response holds more than 3 characters of tool arguments');
    const err = (() => { try { held.add('text', 1); } catch (e) { return e as LipError; } return undefined; })();
    expect([err?.code, err?.status, err?.retryable]).to.deep.equal(['LIP_ERR_RESPONSE_TOO_LARGE', 502, false]);
  });

  it('uses collect()\'s limits by default', () => {
    const held = new HeldOutput();
    held.add('text', COLLECT_LIMITS.textChars);
    expect(() => held.add('text', 1)).to.throw(LipError);
  });

  const delta = 'x'.repeat(MiB);
  const cases: { name: string; encoder: () => StreamEncoder; first: LipEvent[]; repeat: LipEvent; limit: number }[] = [
    { name: 'openai-responses: text it repeats in output_text.done', encoder: () => new ResponsesStreamEncoder(context), first: [{ type: 'response_started' }], repeat: { type: 'text_delta', text: delta }, limit: COLLECT_LIMITS.textChars },
    { name: 'openai-responses: tool arguments', encoder: () => new ResponsesStreamEncoder(context), first: [{ type: 'tool_call_started', id: 'c', name: 'f' }], repeat: { type: 'tool_call_delta', id: 'c', args: delta }, limit: COLLECT_LIMITS.toolArgsChars },
    { name: 'gemini: arguments buffered until the call finishes', encoder: () => new GeminiStreamEncoder(context), first: [{ type: 'tool_call_started', id: 'c', name: 'f' }], repeat: { type: 'tool_call_delta', id: 'c', args: delta }, limit: COLLECT_LIMITS.toolArgsChars },
    {
      name: 'anthropic: a block queued behind another', encoder: () => new AnthropicStreamEncoder(context),
      first: [{ type: 'response_started' }, { type: 'message_started' }, { type: 'tool_call_started', id: 'a', name: 'f' }, { type: 'tool_call_started', id: 'b', name: 'g' }],
      repeat: { type: 'tool_call_delta', id: 'b', args: delta }, limit: COLLECT_LIMITS.toolArgsChars,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: an upstream that streams forever is cut at the limit`, function () {
      this.timeout(30_000);
      const steps = c.limit / MiB;
      const result = feed(c.encoder(), forever(c.first, c.repeat, steps + 10));
      expect(result.error?.code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
      expect(result.fed).to.equal(c.first.length + steps);
    });
  }
});
