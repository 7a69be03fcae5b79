import { expect } from 'chai';
import { emptyCall, type Call } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../helpers/emulators/index.js';
import { startOpenResponsesEmulator } from '../helpers/emulators/openresponses-emulator.js';
import { KINDS } from './kinds.js';

const PNG = 'iVBORw0KGgo=';
const LABEL = 'The assistant gave this image in its message above:';

/**
 * An image in an assistant turn (a Gemini image model's answer, handed back in a Gemini client's
 * history: user "draw a cat", model [inlineData], user "make it blue") was dropped by every
 * backend but gemini: Anthropic, Bedrock and the Responses APIs lost the whole turn (the user
 * turns around it merged), Chat sent the assistant `content: ""`. No API but Gemini's takes media
 * from the assistant; the turn now stays (`[image]` in place of the image when nothing else is
 * left) and the image follows it in a user message that names it the assistant's.
 */
const CASES = [
  ...KINDS.map((k) => ({ kind: k.kind, start: k.start, row: (emu: Emulator) => k.row('b', emu) })),
  { kind: 'custom-openresponses', start: startOpenResponsesEmulator, row: (emu: Emulator) => `  - { id: b, kind: custom-openresponses, base_url: "${emu.url}", api_key: test-key-0123456789 }` },
];

describe('backends regression: an image in an assistant turn reaches every backend', () => {
  const call: Call = emptyCall({
    model: 'model-x', stream: true,
    messages: [
      { role: 'user', parts: [{ type: 'text', text: 'draw a cat' }] },
      { role: 'assistant', parts: [{ type: 'image', data: PNG, mediaType: 'image/png' }] },
      { role: 'user', parts: [{ type: 'text', text: 'make it blue' }] },
    ],
  });

  for (const k of CASES) {
    describe(k.kind, () => {
      let emu: Emulator;
      let runtime: Runtime;
      before(async () => {
        emu = await k.start();
        runtime = runtimeFor(k.row(emu));
      });
      after(async () => {
        await runtime.close();
        await emu.close();
      });

      it(k.kind === 'gemini' ? 'sends the image in the model turn, as it came' : 'keeps the assistant turn and sends the image after it, named as the assistant\'s', async () => {
        emu.enqueue({ text: 'done' });
        const { error } = await drain(backendOf(runtime, 'b').stream(call, { model: 'model-x', candidateKey: 'b:model-x' }));
        expect(error).to.equal(undefined);
        const body = emu.requests[0]!.body;
        if (k.kind === 'gemini') {
          expect(body.contents).to.deep.equal([
            { role: 'user', parts: [{ text: 'draw a cat' }] },
            { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] },
            { role: 'user', parts: [{ text: 'make it blue' }] },
          ]);
          return;
        }
        // In this order on every wire: the ask, the assistant's turn, the image named as its own, the next ask.
        const wire = JSON.stringify(body);
        const at = ['draw a cat', '"[image]"', LABEL, PNG, 'make it blue'].map((s) => wire.indexOf(s));
        expect(at.every((i) => i >= 0), wire).to.equal(true);
        expect(at, wire).to.deep.equal([...at].sort((a, b) => a - b));
      });
    });
  }
});
