import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const RATINGS = [
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true },
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
];

/**
 * A prompt Gemini blocks is answered with no candidates, only `promptFeedback` (`blockReason`,
 * its `safetyRatings`) and the prompt's usage. lip finished it as a content filter and a Gemini
 * client got an empty candidate with `finishReason: SAFETY` and no `promptFeedback`, so the SDK's
 * `response.promptFeedback.blockReason` (how Google tells an app its prompt was refused) was
 * undefined. Now the finish carries Gemini's `promptFeedback` and a Gemini client gets it as
 * Gemini wrote it, with no candidates; other clients still get a content filter stop. A
 * candidate's `safetyRatings` and `citationMetadata` reach a Gemini client as written too.
 */
describe('e2e: a prompt a gemini backend blocks reaches a Gemini client as promptFeedback', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });
  const gemini = () => up.emulators.ge!;
  const params = { model: 'ge:gemini-2.5-flash', contents: 'hi' };

  for (const stream of [false, true]) {
    const mode = stream ? 'streamed' : 'whole';
    /** The answers the SDK hands the app: one, or the stream's chunks. */
    const ask = async (): Promise<Json[]> => {
      if (!stream) return [await up.google().models.generateContent(params)];
      const chunks: Json[] = [];
      for await (const chunk of await up.google().models.generateContentStream(params)) chunks.push(chunk);
      return chunks;
    };

    for (const blockReason of ['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'OTHER', 'IMAGE_SAFETY']) {
      it(`${blockReason}: no candidates, promptFeedback as Gemini wrote it, the prompt's usage (${mode})`, async () => {
        gemini().enqueue({ promptFeedback: { blockReason, safetyRatings: RATINGS }, usage: { input: 5, output: 0 } });
        const answers = await ask();
        const last = answers[answers.length - 1]!;
        expect(answers.flatMap((a) => a.candidates ?? [])).to.deep.equal([]);
        expect(last.promptFeedback).to.deep.equal({ blockReason, safetyRatings: RATINGS });
        expect(last.usageMetadata).to.deep.include({ promptTokenCount: 5 });
      });
    }

    it(`an OpenAI Chat client still gets a content filter stop (${mode})`, async () => {
      gemini().enqueue({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } });
      const messages = [{ role: 'user' as const, content: 'hi' }];
      if (stream) {
        let finish: string | null | undefined;
        for await (const chunk of await up.openai().chat.completions.create({ model: params.model, messages, stream: true })) finish = chunk.choices[0]?.finish_reason ?? finish;
        expect(finish).to.equal('content_filter');
      } else {
        const answer = await up.openai().chat.completions.create({ model: params.model, messages });
        expect(answer.choices[0]!.finish_reason).to.equal('content_filter');
      }
    });

    it(`a candidate's safetyRatings and citationMetadata reach a Gemini client as written (${mode})`, async () => {
      const source = { startIndex: 0, endIndex: 5, uri: 'https://example.com/a', license: 'mit' };
      gemini().enqueue({ text: ['Hello', ' there'], candidateFields: { safetyRatings: RATINGS, citationMetadata: { citationSources: [source] } } });
      const answers = await ask();
      const last = answers[answers.length - 1]!.candidates[0];
      expect(answers.map((a) => a.text ?? '').join('')).to.equal('Hello there');
      expect(last.finishReason).to.equal('STOP');
      expect(last.safetyRatings).to.deep.equal(RATINGS);
      expect(last.citationMetadata).to.deep.equal({ citations: [source] }); // the SDK's name for the wire's citationSources
    });
  }
});
