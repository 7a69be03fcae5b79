import { expect } from 'chai';
import { REASONING_DIALECTS, collectEvents, emptyCall, type LipEvent, type Message } from '../../../lib/canonical/index.js';
import { CarriedReasoning } from '../../../lib/frontends/gemini/carried-reasoning.js';
import { decodeGenerateContent, encodeGenerateContentResponse, GeminiStreamEncoder } from '../../../lib/frontends/gemini/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { MAX_ENVELOPE_CHARS, openTurnBase64, sealStateBase64, sealTurnBase64 } from '../../../lib/frontends/state-envelope.js';
import { parseSse } from '../../helpers/sse-client.js';
import { refusalOf } from '../../helpers/refusal.js';

type Json = Record<string, any>;
const A = REASONING_DIALECTS.anthropicThinking;
const O = REASONING_DIALECTS.openaiResponses;
const G = REASONING_DIALECTS.geminiThought;
const context: EncodeContext = { call: emptyCall({ model: 'gemini-x' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 };

const streamed = (events: readonly LipEvent[]): Json[] => {
  const encoder = new GeminiStreamEncoder(context);
  const text = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return parseSse(text).messages.flatMap((m) => JSON.parse(m.data).candidates?.[0]?.content?.parts ?? []);
};
const whole = (events: readonly LipEvent[]): Json[] => (encodeGenerateContentResponse(collectEvents(events), context) as Json).candidates[0].content.parts;
const assistant = (parts: Json[]): Message => {
  const call = decodeGenerateContent({ contents: [{ role: 'user', parts: [{ text: 'go' }] }, { role: 'model', parts }] }, 'm', false).call;
  return call.messages[1]!;
};

/** An Anthropic turn: signed thinking, text, a tool call. */
const ANTHROPIC_TURN: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'reasoning_delta', text: 'Plan' }, { type: 'reasoning_delta', text: ' it.' }, { type: 'reasoning_signature', signature: 'sig-1', dialect: A },
  { type: 'text_delta', text: 'Reading.' },
  { type: 'tool_call_started', id: 'toolu_1', name: 'read' }, { type: 'tool_call_delta', id: 'toolu_1', args: '{}' }, { type: 'tool_call_finished', id: 'toolu_1' },
  { type: 'response_finished', reason: 'tool_calls' },
];
/** An OpenAI Responses turn: a summary, encrypted reasoning, a tool call. */
const OPENAI_TURN: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'reasoning_delta', text: 'Summary.' }, { type: 'reasoning_opaque', dialect: O, data: 'enc-1', id: 'rs_1' },
  { type: 'tool_call_started', id: 'call_1', name: 'read' }, { type: 'tool_call_delta', id: 'call_1', args: '{}' }, { type: 'tool_call_finished', id: 'call_1' },
  { type: 'response_finished', reason: 'tool_calls' },
];

describe('frontends/gemini carried-reasoning', () => {
  it('the turn form carries a call\'s signature and a turn\'s reasoning in canonical base64, and opens back exactly', () => {
    const state = { call: { dialect: 'x.call', signature: 'c-sig' }, reasoning: [{ dialect: A, text: 'Plan.', signature: 'sig' }, { dialect: O, opaque: 'enc', id: 'rs_1' }] };
    const sealed = sealTurnBase64(state)!;
    expect(Buffer.from(Buffer.from(sealed, 'base64').toString('utf8'), 'utf8').toString('base64')).to.equal(sealed);
    expect(openTurnBase64(sealed, 'p')).to.deep.equal(state);
    expect(sealTurnBase64({})).to.equal(undefined);
    // Gemini's own signatures and the single-state form are not turns.
    expect(openTurnBase64('CiQBcsjafake', 'p')).to.equal(undefined);
    expect(openTurnBase64(sealStateBase64({ dialect: A, signature: 'sig' }), 'p')).to.equal(undefined);
    // A broken one is a 400 naming the field.
    const broken = Buffer.from('lip1+!!', 'utf8').toString('base64');
    expect(refusalOf(() => openTurnBase64(broken, 'contents[1].parts[0].thoughtSignature'))).to.deep.include({ status: 400, param: 'contents[1].parts[0].thoughtSignature' });
  });

  it('leaves out reasoning that would make the envelope longer than the bound, keeping the call\'s own signature', () => {
    const big = [{ dialect: A, text: 'x'.repeat(MAX_ENVELOPE_CHARS * 0.6), signature: 'sig' }];
    expect(openTurnBase64(sealTurnBase64({ call: { dialect: 'x.call', signature: 'c' }, reasoning: big })!, 'p')).to.deep.equal({ call: { dialect: 'x.call', signature: 'c' } });
    expect(sealTurnBase64({ reasoning: big })).to.equal(undefined);
  });

  it('holds other dialects\' sealed reasoning for the next part; Gemini\'s own signatures go verbatim and carry nothing', () => {
    const carried = new CarriedReasoning();
    carried.hold({ dialect: G, text: 'mine', signature: 'g-sig' });
    carried.hold({ dialect: A, text: 'no signature' });
    expect(carried.signatureFor()).to.equal(undefined);
    carried.hold({ dialect: A, text: 'Plan.', signature: 'sig' });
    expect(carried.signatureFor({ signature: 'g-call', dialect: G })).to.equal('g-call');
    expect(carried.signatureFor({ signature: 'unknown' })).to.equal('unknown');
    const sealed = carried.signatureFor()!;
    expect(openTurnBase64(sealed, 'p')).to.deep.equal({ reasoning: [{ dialect: A, text: 'Plan.', signature: 'sig' }] });
    expect(carried.signatureFor()).to.equal(undefined);
    expect(carried.signatureFor({ signature: 'c', dialect: 'x.call' })).to.equal(sealStateBase64({ dialect: 'x.call', signature: 'c' }));
  });

  for (const [name, encode] of [['streamed', streamed], ['whole', whole]] as const) {
    it(`${name}: the first text or call part after another dialect's reasoning carries it, and a client that dropped the thoughts gets it back in place`, () => {
      const parts = encode(ANTHROPIC_TURN);
      const thoughts = parts.filter((p) => p.thought === true);
      expect(thoughts.length).to.be.greaterThan(0);
      const text = parts.find((p) => p.text === 'Reading.' || p.text === 'Reading')!;
      expect(openTurnBase64(text.thoughtSignature, 'p')).to.deep.equal({ reasoning: [{ dialect: A, text: 'Plan it.', signature: 'sig-1' }] });
      expect(parts.find((p) => p.functionCall)).not.to.have.property('thoughtSignature');
      const kept = parts.filter((p) => p.thought !== true && !(p.text === '' && p.thoughtSignature === undefined));
      expect(assistant(kept).parts).to.deep.equal([
        { type: 'reasoning', dialect: A, text: 'Plan it.', signature: 'sig-1' }, { type: 'text', text: 'Reading.' },
        { type: 'tool_call', id: 'toolu_1', name: 'read', arguments: '{}' },
      ]);
      // All parts back: the reasoning once.
      expect(assistant(parts).parts.filter((p) => p.type === 'reasoning')).to.deep.equal([{ type: 'reasoning', dialect: A, text: 'Plan it.', signature: 'sig-1' }]);
    });

    it(`${name}: OpenAI's encrypted reasoning rides on the tool call and comes back before it, once`, () => {
      const parts = encode(OPENAI_TURN);
      const call = parts.find((p) => p.functionCall)!;
      expect(openTurnBase64(call.thoughtSignature, 'p')).to.deep.equal({ reasoning: [{ dialect: O, opaque: 'enc-1', id: 'rs_1' }] });
      const kept = parts.filter((p) => p.thought !== true && p.text !== '');
      expect(assistant(kept).parts).to.deep.equal([
        { type: 'reasoning', dialect: O, opaque: 'enc-1', id: 'rs_1' }, { type: 'tool_call', id: 'call_1', name: 'read', arguments: '{}' },
      ]);
      expect(assistant(parts).parts.filter((p) => p.type === 'reasoning' && p.opaque !== undefined)).to.have.length(1);
    });
  }

  it('a call\'s own foreign signature rides in the turn beside the reasoning and comes back on the call', () => {
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'reasoning_opaque', dialect: O, data: 'enc-1', id: 'rs_1' },
      { type: 'tool_call_started', id: 'c1', name: 'read', signature: 'call-sig', dialect: 'x.call' }, { type: 'tool_call_finished', id: 'c1' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    const call = streamed(events).find((p) => p.functionCall)!;
    expect(openTurnBase64(call.thoughtSignature, 'p')).to.deep.equal({ call: { dialect: 'x.call', signature: 'call-sig' }, reasoning: [{ dialect: O, opaque: 'enc-1', id: 'rs_1' }] });
    expect(assistant([call]).parts).to.deep.equal([
      { type: 'reasoning', dialect: O, opaque: 'enc-1', id: 'rs_1' }, { type: 'tool_call', id: 'c1', name: 'read', arguments: '{}', signature: 'call-sig', dialect: 'x.call' },
    ]);
  });

  it('Gemini\'s own thoughts and signatures are written exactly as before: nothing is carried', () => {
    const events: LipEvent[] = [
      { type: 'response_started' }, { type: 'reasoning_delta', text: 'plan' }, { type: 'reasoning_signature', signature: 'ts-1', dialect: G },
      { type: 'text_delta', text: 'Hi' },
      { type: 'tool_call_started', id: 'a', name: 'f', signature: 'fc-sig', dialect: G }, { type: 'tool_call_finished', id: 'a' },
      { type: 'response_finished', reason: 'tool_calls' },
    ];
    expect(streamed(events)).to.deep.equal([
      { text: 'plan', thought: true }, { text: '', thought: true, thoughtSignature: 'ts-1' }, { text: 'Hi' },
      { functionCall: { id: 'a', name: 'f', args: {} }, thoughtSignature: 'fc-sig' }, { text: '' },
    ]);
    expect(whole(events)).to.deep.equal([
      { text: 'plan', thought: true, thoughtSignature: 'ts-1' }, { text: 'Hi' }, { functionCall: { id: 'a', name: 'f', args: {} }, thoughtSignature: 'fc-sig' },
    ]);
  });
});
