import { expect } from 'chai';
import { REASONING_DIALECTS } from '../../lib/canonical/index.js';
import {
  MAX_ENVELOPE_CHARS, MAX_ID_STATE_CHARS, carryOpaque, carrySignature, openCallId, openState, openStateBase64, plainCallId, reasoningFromSlot,
  sealCallId, sealState, sealStateBase64,
} from '../../lib/frontends/state-envelope.js';

const thinking = { dialect: REASONING_DIALECTS.anthropicThinking, text: 'plan', signature: 'EqQBCgIYAhIM+/=' };
const encrypted = { dialect: REASONING_DIALECTS.openaiResponses, opaque: 'gAAAAABo-enc', id: 'rs_123', summary: ['a', 'b'] };

/** The 400 a broken envelope gets, naming the field. */
function refusal(fn: () => unknown): { code?: string; status?: number; param?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; status?: number; param?: string };
  }
  throw new Error('expected a refusal');
}

describe('frontends/state-envelope', () => {
  it('seals state in the text form, tagged with its dialect in clear, and opens it back exactly', () => {
    const sealed = sealState(thinking);
    expect(sealed.startsWith('lip1.anthropic.thinking.')).to.equal(true);
    expect(openState(sealed, 'p')).to.deep.equal(thinking);
    expect(openState(sealState(encrypted), 'p')).to.deep.equal(encrypted);
    expect(openState(sealState(thinking, false), 'p'), 'the block carries the text').to.deep.equal({ dialect: thinking.dialect, signature: thinking.signature });
  });

  it('seals state in canonical base64 for Gemini thoughtSignature (bytes that decode and re-encode to the same string)', () => {
    const sealed = sealStateBase64(thinking);
    expect(Buffer.from(sealed, 'base64').toString('base64')).to.equal(sealed);
    expect(openStateBase64(sealed, 'p')).to.deep.equal(thinking);
    expect(openStateBase64(sealState(thinking), 'p'), 'the text form is accepted too').to.deep.equal(thinking);
  });

  it('leaves providers\' own tokens alone: not an envelope, at the cost of a prefix check', () => {
    for (const token of ['EqQBCgIYAhIM', 'gAAAAABo-enc', 'c2lnbmF0dXJl', '', 'lip1', Buffer.from([0x6c, 0x69, 0x70, 0x31, 0x2f, 0xff]).toString('base64')]) {
      expect(openState(token, 'p'), token).to.equal(undefined);
      expect(openStateBase64(token, 'p'), token).to.equal(undefined);
      expect(reasoningFromSlot(token, 'x', 'p'), token).to.equal(undefined);
    }
    expect(openCallId('toolu_01A09q90qw90lq917835lq9', 'p')).to.deep.equal({ id: 'toolu_01A09q90qw90lq917835lq9' });
  });

  it('carries a call signature and a turn\'s reasoning in a tool-call id of letters, digits, _ and - only', () => {
    const id = sealCallId('call_1', { call: { dialect: REASONING_DIALECTS.geminiThought, signature: 'ts+/=' }, reasoning: [thinking, encrypted] });
    expect(id).to.match(/^[A-Za-z0-9_-]+$/);
    expect(plainCallId(id)).to.equal('call_1');
    expect(openCallId(id, 'p')).to.deep.equal({ id: 'call_1', call: { dialect: REASONING_DIALECTS.geminiThought, signature: 'ts+/=' }, reasoning: [thinking, encrypted] });
    expect(sealCallId('call_1', {}), 'nothing to carry: the id itself').to.equal('call_1');
    expect(sealCallId('call_1', { reasoning: [] })).to.equal('call_1');
  });

  it('keeps only the call\'s own signature when the turn\'s reasoning is larger than MAX_ID_STATE_CHARS', () => {
    const huge = { ...thinking, text: 'x'.repeat(MAX_ID_STATE_CHARS) };
    const id = sealCallId('c', { call: { dialect: 'gemini.thought', signature: 's' }, reasoning: [huge] });
    expect(openCallId(id, 'p')).to.deep.equal({ id: 'c', call: { dialect: 'gemini.thought', signature: 's' } });
    expect(sealCallId('c', { reasoning: [huge] })).to.equal('c');
  });

  it('refuses a forged or broken envelope with a 400 naming the field, never a crash', () => {
    const cases: [string, () => unknown][] = [
      ['bad base64url', () => openState('lip1.anthropic.thinking.%%%', 'm.signature')],
      ['not JSON', () => openState(`lip1.x.${Buffer.from('nope').toString('base64url')}`, 'm.signature')],
      ['not an object', () => openState(`lip1.x.${Buffer.from('[1]').toString('base64url')}`, 'm.signature')],
      ['a non-string field', () => openState(`lip1.x.${Buffer.from('{"s":5}').toString('base64url')}`, 'm.signature')],
      ['a bad summary', () => openState(`lip1.x.${Buffer.from('{"m":[1]}').toString('base64url')}`, 'm.signature')],
      ['no dialect', () => openState('lip1.e30', 'm.signature')],
      ['a bad dialect', () => openState('lip1.a b.e30', 'm.signature')],
      ['too long', () => openState(`lip1.x.${'A'.repeat(MAX_ENVELOPE_CHARS)}`, 'm.signature')],
      ['non-canonical base64', () => openStateBase64(`${sealStateBase64(thinking).replace(/=+$/, '')}`, 'm.signature')],
      ['an id of garbage', () => openCallId('c_lip1_!!', 'm.signature')],
      ['an id holding a list', () => openCallId(`c_lip1_${Buffer.from('[]').toString('base64url')}`, 'm.signature')],
      ['an id with a bad call signature', () => openCallId(`c_lip1_${Buffer.from('{"c":["gemini.thought",5]}').toString('base64url')}`, 'm.signature')],
      ['an id with a bad reasoning list', () => openCallId(`c_lip1_${Buffer.from('{"r":{}}').toString('base64url')}`, 'm.signature')],
      ['an id with a bad reasoning entry', () => openCallId(`c_lip1_${Buffer.from('{"r":[["x"]]}').toString('base64url')}`, 'm.signature')],
      ['a legacy envelope without payload', () => openState(`lip.reasoning.v1:${Buffer.from('{"d":"x"}').toString('base64url')}`, 'm.signature')],
    ];
    for (const [what, fn] of cases) {
      const err = refusal(fn);
      expect(err, what).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, param: 'm.signature' });
      expect(err.message, what).to.contain('lip state envelope');
    }
  });

  it('opens the envelope of the first release (lip.reasoning.v1)', () => {
    const legacy = `lip.reasoning.v1:${Buffer.from(JSON.stringify({ d: 'openai.responses.reasoning', p: 'enc', i: 'rs_1' })).toString('base64url')}`;
    expect(openState(legacy, 'p')).to.deep.equal({ dialect: 'openai.responses.reasoning', opaque: 'enc', id: 'rs_1' });
    expect(openStateBase64(legacy, 'p')).to.deep.equal({ dialect: 'openai.responses.reasoning', opaque: 'enc', id: 'rs_1' });
  });

  it('passes a client protocol\'s own state verbatim and seals everything else', () => {
    expect(carrySignature('s', REASONING_DIALECTS.anthropicThinking, REASONING_DIALECTS.anthropicThinking)).to.equal('s');
    expect(carrySignature('s', undefined, REASONING_DIALECTS.anthropicThinking), 'unknown dialect: as before').to.equal('s');
    expect(openState(carrySignature('s', REASONING_DIALECTS.geminiThought, REASONING_DIALECTS.anthropicThinking), 'p')).to.deep.equal({ dialect: 'gemini.thought', signature: 's' });
    expect(openStateBase64(carrySignature('s', REASONING_DIALECTS.anthropicThinking, REASONING_DIALECTS.geminiThought, true), 'p')).to.deep.equal({ dialect: 'anthropic.thinking', signature: 's' });
    expect(carryOpaque({ dialect: REASONING_DIALECTS.anthropicRedacted, data: 'R' }, REASONING_DIALECTS.anthropicRedacted)).to.equal('R');
    expect(openState(carryOpaque({ dialect: REASONING_DIALECTS.openaiResponses, data: 'E', id: 'rs_9' }, REASONING_DIALECTS.openaiResponses), 'p'), 'own, but the item id must come back too')
      .to.deep.equal({ dialect: 'openai.responses.reasoning', opaque: 'E', id: 'rs_9' });
  });

  it('restores a reasoning part from a slot: the envelope\'s dialect and payload, the block\'s text', () => {
    expect(reasoningFromSlot(sealState(thinking, false), 'plan', 'p')).to.deep.equal({ type: 'reasoning', ...thinking });
    expect(reasoningFromSlot(sealState({ dialect: 'gemini.thought', signature: 's' }), '', 'p')).to.deep.equal({ type: 'reasoning', dialect: 'gemini.thought', signature: 's' });
  });
});
