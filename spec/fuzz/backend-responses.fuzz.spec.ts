import { expect } from 'chai';
import fc from 'fast-check';
import { validateSequence } from '../../lib/canonical/index.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { applyMutation, deepDepths, FuzzText, mutation, toText, type Json } from './json-mutations.js';
import { cut, decodeStream, expectEventShape, normalizeIds, recordedStreams, RESPONSE_KINDS, type Decoded } from './stream-harness.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

function expectSound(d: Decoded): void {
  for (const event of d.events) expectEventShape(event);
  if (d.error !== undefined) expectLipError(d.error);
  else expect(validateSequence(d.events)).to.deep.equal([]);
}

describe('fuzz: backend whole-answer decoders (non-streamed generations, through upstreamSource)', function () {
  this.timeout(fuzzTimeout(30));

  for (const kind of Object.keys(RESPONSE_KINDS)) {
    const answers = recordedStreams(kind, '.json');
    const bodies = answers.map((a) => JSON.parse(a.text) as Json);

    describe(kind, () => {
      it('decodes every recorded answer into a valid sequence, or the error it carries', async () => {
        expect(answers.length).to.be.greaterThan(4);
        for (const { name, text } of answers) {
          const d = await decodeStream(kind, [utf8(text)], { whole: true });
          expectSound(d);
          if (!/\.\d{3}\.json$/.test(name)) expect(d.error, name).to.equal(undefined);
        }
      });

      it('gives the same result for any chunk boundaries', async () => {
        await fc.assert(fc.asyncProperty(fc.constantFrom(...answers), fc.array(fc.nat(), { maxLength: 20 }), async ({ text }, offsets) => {
          const whole = await decodeStream(kind, [utf8(text)], { whole: true });
          const d = await decodeStream(kind, cut(utf8(text), offsets), { whole: true });
          expect({ events: normalizeIds(d.events), error: d.error?.message }).to.deep.equal({ events: normalizeIds(whole.events), error: whole.error?.message });
        }), fuzzParameters(0.3));
      });

      it('answers mutated, truncated and random bodies with well-typed events or a LipError', async () => {
        const mutated = fc.tuple(fc.constantFrom(...bodies), fc.array(mutation(fc.oneof(fc.integer({ min: 1, max: 200 }), deepDepths)), { minLength: 1, maxLength: 4 }))
          .map(([body, ms]) => new FuzzText(toText(ms.reduce(applyMutation, structuredClone(body)))));
        const truncated = fc.tuple(fc.constantFrom(...answers), fc.nat()).map(([a, at]) => new FuzzText(a.text.slice(0, at % a.text.length)));
        const random = fc.jsonValue({ maxDepth: 4 }).map((v) => new FuzzText(JSON.stringify(v)));
        await fc.assert(fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: mutated }, truncated, random), async ({ text }) => {
          const d = await decodeStream(kind, [utf8(text)], { whole: true });
          for (const event of d.events) expectEventShape(event);
          if (d.error !== undefined) expectLipError(d.error);
        }), fuzzParameters(0.3));
      });
    });
  }
});
