import { expect } from 'chai';
import { GeminiStreamDecoder } from '../../../lib/backends/gemini/index.js';
import { validateSequence, type LipEvent } from '../../../lib/canonical/index.js';

/**
 * Found by spec/fuzz/backend-streams.fuzz.spec.ts: a frame whose `candidates` (or
 * `content.parts`) held `null` threw a TypeError inside the decoder, reported as a lip internal
 * error instead of being read past like any other unusable entry.
 */
describe('backends/gemini regression: null entries in candidates and parts', () => {
  it('skips a null candidate and a null part', () => {
    const decoder = new GeminiStreamDecoder('b', []);
    const out: LipEvent[] = [];
    const frames = [
      { candidates: [null], responseId: 'r1' },
      { candidates: [null, { index: 0, content: { parts: [null, 3, { text: 'Hi' }] } }] },
      { candidates: [{ index: 0, content: { parts: [{ text: '' }] }, finishReason: 'STOP' }] },
    ];
    for (const f of frames) decoder.message({ event: 'message', data: JSON.stringify(f) }, out);
    expect(validateSequence(out)).to.deep.equal([]);
    expect(out.filter((e) => e.type === 'text_delta')).to.deep.equal([{ type: 'text_delta', text: 'Hi' }]);
    expect(out.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });
});
