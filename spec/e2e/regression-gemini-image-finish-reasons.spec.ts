import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

/** Gemini's finish reasons of image generation and of a missing thought signature, which lip's set of Gemini's own reasons lacked. */
const REASONS = ['IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION', 'IMAGE_OTHER', 'NO_IMAGE', 'MISSING_THOUGHT_SIGNATURE'];

/**
 * Regression: a gemini backend's `finishReason` reaches a Gemini client as written when it is one
 * of Gemini's own; the image reasons (and MISSING_THOUGHT_SIGNATURE) were not in that set, so a
 * Gemini client saw `SAFETY` (IMAGE_PROHIBITED_CONTENT, IMAGE_RECITATION) or `OTHER` (IMAGE_OTHER,
 * NO_IMAGE, MISSING_THOUGHT_SIGNATURE) in their place. Now they pass through, streamed or not.
 */
describe('e2e regression: Gemini\'s image finish reasons reach a Gemini client as written', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });

  for (const reason of REASONS) {
    it(reason, async () => {
      const emu = up.emulators.ge!;
      emu.enqueue({ text: 'x', rawFinish: reason });
      const whole = await up.google().models.generateContent({ model: 'ge:gemini-2.5-flash-image', contents: 'draw' });
      expect(whole.candidates![0]!.finishReason).to.equal(reason);
      emu.enqueue({ text: 'x', rawFinish: reason });
      let streamed: string | undefined;
      for await (const chunk of await up.google().models.generateContentStream({ model: 'ge:gemini-2.5-flash-image', contents: 'draw' })) {
        streamed = chunk.candidates?.[0]?.finishReason ?? streamed;
      }
      expect(streamed).to.equal(reason);
    });
  }
});
