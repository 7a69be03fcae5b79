import { expect } from 'chai';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { FOLLOW_UP, QUESTION, TOOLS } from '../helpers/clients/follow-up.js';
import type { Script } from '../helpers/emulators/index.js';
import { useStateCheckingKinds } from '../helpers/state-checking-kinds.js';

type Json = Record<string, any>;

/** Gemini 3's answer: unsigned thoughts, then text whose first part carries the signature, then a signed call. */
const TURN: Script = {
  reasoning: { text: ['Plan', 'ning'] },
  text: ['Hello', ' there'],
  textSignature: 'ts-text',
  toolCalls: [{ name: 'get_weather', args: '{"city":"Paris"}', signature: 'ts-call' }],
};

/**
 * Regression: a `thoughtSignature` Gemini puts on a text part was moved onto the thought part
 * before it (the decoder's signature, emitted before the text, closed the open thought block):
 * a Gemini client saw it on the thought part (streamed: an empty thought part of its own), and
 * the next turn sent it upstream on the thought instead of on the text. Now it goes back on the
 * text part, from every client protocol (Gemini's own parts; the carriers of the others), streamed
 * or not.
 */
describe('e2e regression: a thought signature on a Gemini text part goes back on that text part', function () {
  const idOf = (k: KindCase) => `ts-${k.kind}`;
  const kinds = useStateCheckingKinds(idOf);
  const model = 'ts-gemini:gemini-3-pro-preview';

  const modelTurn = (request: { body: Json }): Json[] => (request.body.contents as Json[]).find((c) => c.role === 'model')!.parts as Json[];

  for (const frontend of Object.keys(FRONTENDS)) {
    for (const stream of [true, false]) {
      it(`${frontend} client, ${stream ? 'streamed' : 'whole'} turn`, async () => {
        const emu = kinds.emulators.get('gemini')!;
        emu.enqueue(TURN);
        const first = await CLIENT_DRIVERS[frontend]!.run(kinds.lip().url, { model, stream, tools: TOOLS, reasoning: true, messages: [{ role: 'user', text: QUESTION }] });
        expect(first.error, JSON.stringify(first.error)).to.equal(undefined);
        expect(first.text).to.equal('Hello there');
        emu.enqueue({ text: 'Sunny.' });
        await FOLLOW_UP[frontend]!(kinds.lip().url, model, first); // the emulator refuses a signature it did not issue
        const parts = modelTurn(emu.requests[1]!);
        const signed = parts.filter((p) => p.thoughtSignature === 'ts-text');
        expect(signed, JSON.stringify(parts)).to.have.length(1);
        expect(signed[0]!.thought, JSON.stringify(parts)).to.equal(undefined);
        const texts = parts.filter((p) => typeof p.text === 'string' && p.thought !== true);
        expect(texts[0], JSON.stringify(parts)).to.equal(signed[0]);
        expect(texts.map((p) => p.text).join('')).to.equal('Hello there');
        expect(parts.find((p) => p.functionCall)!.thoughtSignature).to.equal('ts-call');
        if (frontend === 'gemini') {
          // Exactly what Gemini sent: the streamed chunks' parts, or the whole answer's.
          const text = stream ? [{ text: 'Hello', thoughtSignature: 'ts-text' }, { text: ' there' }] : [{ text: 'Hello there', thoughtSignature: 'ts-text' }];
          expect(parts).to.deep.equal([{ text: 'Planning', thought: true }, ...text, { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'ts-call' }]);
          const client = (first.raw as { candidates: { content: { parts: Json[] } }[] }).candidates[0]!.content.parts;
          expect(client.filter((p) => p.thought === true).map((p) => p.thoughtSignature)).to.deep.equal(stream ? [undefined, undefined] : [undefined]);
        }
      });
    }
  }
});
