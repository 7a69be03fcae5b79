import { expect } from 'chai';
import { ChatResponseDecoder, ChatStreamDecoder, ReasoningDetails, chatOptions, encodeChatRequest } from '../../../lib/backends/openai-chat/index.js';
import { COLLECT_LIMITS, REASONING_DIALECTS, assistantMessage, collectEvents, emptyCall, validateSequence, type LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';

const OPENROUTER = REASONING_DIALECTS.openrouterDetails;
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

function decode(frames: unknown[], reasoningDetails = true): LipEvent[] {
  const decoder = new ChatStreamDecoder('or', [], { reasoningDetails });
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: typeof f === 'string' ? f : JSON.stringify(f) }, out);
  decoder.end(out);
  return out;
}

/** Anthropic signed thinking through OpenRouter: the text in pieces, its signature in a last piece of the same index. */
const SIGNED = [
  chunk({ reasoning: 'Need ', reasoning_details: [{ type: 'reasoning.text', text: 'Need ', format: 'anthropic-claude-v1', index: 0 }] }),
  chunk({ reasoning: 'weather.', reasoning_details: [{ type: 'reasoning.text', text: 'weather.', format: 'anthropic-claude-v1', index: 0 }] }),
  chunk({ reasoning: null, reasoning_details: [{ type: 'reasoning.text', text: '', signature: 'sig-1', format: 'anthropic-claude-v1', index: 0 }] }),
  chunk({ reasoning: null, reasoning_details: [{ type: 'reasoning.encrypted', data: 'redacted-1', format: 'anthropic-claude-v1', index: 1 }] }),
];
const MERGED = [
  { type: 'reasoning.text', text: 'Need weather.', format: 'anthropic-claude-v1', index: 0, signature: 'sig-1' },
  { type: 'reasoning.encrypted', data: 'redacted-1', format: 'anthropic-claude-v1', index: 1 },
];

describe('backends/openai-chat/reasoning-details (OpenRouter)', () => {
  it('merges streamed pieces by index (text and summary joined, other fields their latest value); an entry without index stands alone', () => {
    const details = new ReasoningDetails('or');
    details.add([{ type: 'reasoning.summary', summary: 'A', index: 0, id: null }, { type: 'reasoning.encrypted', data: 'e1' }]);
    details.add([{ type: 'reasoning.summary', summary: 'B', index: 0, id: 'rs_1' }, null, { type: 'reasoning.encrypted', data: 'e2' }]);
    expect(JSON.parse(details.take()!)).to.deep.equal([
      { type: 'reasoning.summary', summary: 'AB', index: 0, id: 'rs_1' }, { type: 'reasoning.encrypted', data: 'e1' }, { type: 'reasoning.encrypted', data: 'e2' },
    ]);
    expect(details.take()).to.equal(undefined);
  });

  it('closes the streamed reasoning with its details as an OpenRouter signature before the tool call', () => {
    const events = decode([...SIGNED, chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }), chunk({}, 'tool_calls'), '[DONE]']);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2, 6)).to.deep.equal([
      { type: 'reasoning_delta', text: 'Need ' }, { type: 'reasoning_delta', text: 'weather.' },
      { type: 'reasoning_signature', signature: JSON.stringify(MERGED), dialect: OPENROUTER },
      { type: 'tool_call_started', id: 'c1', name: 'f' },
    ]);
  });

  it('reads a whole answer\'s message.reasoning_details alike; the reasoning block carries them', () => {
    const out: LipEvent[] = [];
    new ChatResponseDecoder('or', [], { reasoningDetails: true }).decode({
      id: 'c1', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hi', reasoning: 'Need weather.', reasoning_details: MERGED } }],
    }, out);
    const blocks = collectEvents(out).blocks;
    expect(blocks[0]).to.deep.include({ type: 'reasoning', text: 'Need weather.', signature: JSON.stringify(MERGED), dialect: OPENROUTER });
    expect(blocks[1]).to.deep.include({ type: 'text', text: 'Hi' });
  });

  it('holds no more reasoning details than collect() holds reasoning (LIP_ERR_RESPONSE_TOO_LARGE past it); a run handed over is let go', () => {
    const details = new ReasoningDetails('or');
    // The strings count: `reasoning.text` is 14 characters, a field that comes again counts once.
    const long = 'x'.repeat(COLLECT_LIMITS.reasoningChars - 20);
    details.add([{ type: 'reasoning.text', text: long, index: 0 }]);
    details.take();
    details.add([{ type: 'reasoning.text', text: long, index: 0 }]);
    details.add([{ type: 'reasoning.text', text: 'xxxxxx', index: 0 }]);
    let error: unknown;
    try {
      details.add([{ type: 'reasoning.text', text: 'x', index: 0 }]);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(LipError).and.to.include({ code: 'LIP_ERR_RESPONSE_TOO_LARGE' });
    expect((error as LipError).message).to.contain('backend "or"');
  });

  it('details that come after the text began are held to the end of the answer: the text stays one block, the details replay in order', () => {
    const events = decode([
      chunk({ reasoning: 'think', reasoning_details: [{ type: 'reasoning.summary', summary: 'think', index: 0 }] }),
      chunk({ content: 'Hello' }),
      chunk({ reasoning_details: [{ type: 'reasoning.encrypted', data: 'ENC', index: 1 }] }),
      chunk({ content: ' there' }),
      chunk({}, 'stop'), '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.slice(2)).to.deep.equal([
      { type: 'reasoning_delta', text: 'think' },
      { type: 'reasoning_signature', signature: JSON.stringify([{ type: 'reasoning.summary', summary: 'think', index: 0 }]), dialect: OPENROUTER },
      { type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ' there' },
      { type: 'reasoning_signature', signature: JSON.stringify([{ type: 'reasoning.encrypted', data: 'ENC', index: 1 }]), dialect: OPENROUTER },
      { type: 'response_finished', reason: 'stop' },
    ]);
    const collected = collectEvents(events);
    expect(collected.blocks.map((b) => b.type)).to.deep.equal(['reasoning', 'text', 'reasoning']);
    const call = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }, assistantMessage(collected)!, { role: 'user', parts: [{ type: 'text', text: 'and?' }] }] });
    const sent = (encodeChatRequest(call, 'm', chatOptions({ id: 'or', kind: 'openrouter', models: [], reasoning_details: true })).messages as Record<string, unknown>[])[1];
    expect(sent).to.deep.include({ content: 'Hello there', reasoning_details: [{ type: 'reasoning.summary', summary: 'think', index: 0 }, { type: 'reasoning.encrypted', data: 'ENC', index: 1 }] });
  });

  it('reasoning that comes after a tool call is a run of its own, closed before the output after it', () => {
    const events = decode([
      chunk({ reasoning: 'a', reasoning_details: [{ type: 'reasoning.text', text: 'a', index: 0 }] }),
      chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({ reasoning: 'b', reasoning_details: [{ type: 'reasoning.text', text: 'b', index: 1 }] }),
      chunk({ content: 'done' }),
      chunk({}, 'stop'), '[DONE]',
    ]);
    expect(validateSequence(events)).to.deep.equal([]);
    expect(events.filter((e) => e.type !== 'tool_call_delta').map((e) => e.type).slice(2)).to.deep.equal([
      'reasoning_delta', 'reasoning_signature', 'tool_call_started', 'reasoning_delta', 'reasoning_signature', 'text_delta', 'tool_call_finished', 'response_finished',
    ]);
  });

  it('a row that does not read them decodes the reasoning text alone', () => {
    const events = decode([...SIGNED, chunk({ content: 'Hi' }, 'stop'), '[DONE]'], false);
    expect(events.filter((e) => e.type === 'reasoning_signature')).to.deep.equal([]);
  });

  it('sends the details of an assistant message back as they came, in place of the text field; other rows send the text', () => {
    const call = emptyCall({
      model: 'm', messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: OPENROUTER, text: 'Need weather.', signature: JSON.stringify(MERGED) },
          { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'ok' }] },
      ],
    });
    const row = { id: 'or', kind: 'openrouter', models: [], reasoning_field: 'reasoning' };
    const sent = (extra: Record<string, unknown>) => (encodeChatRequest(call, 'm', chatOptions({ ...row, ...extra })).messages as Record<string, unknown>[])[1]!;
    expect(sent({ reasoning_details: true })).to.deep.include({ reasoning_details: MERGED }).and.not.to.have.property('reasoning');
    // Signed reasoning of another provider is not plain text: a row without the details sends none of it.
    expect(sent({})).not.to.have.any.keys('reasoning_details', 'reasoning');
  });
});
