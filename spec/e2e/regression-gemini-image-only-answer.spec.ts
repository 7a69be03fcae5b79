import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import type { AttemptReport } from '../../lib/core/attempt.js';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';

const IMAGE = { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } };
const MODEL = 'ge:gemini-2.5-flash-image';

/** What an image model answers: its image alone (as gemini-2.5-flash-image does by default), and what it cost. */
const imageOnly: Script = { media: [IMAGE], usage: { input: 7, output: 1290 } };

/**
 * Regression: an image model's answer (only `inlineData` parts) reached every client as an empty,
 * successful answer, its 1,290 output tokens billed: lip drops the parts it has no canonical
 * form for. Such an answer now fails before any output with a non-retryable
 * LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED that names the image output (its usage still reported), and
 * an answer with text besides its images is the text, the images dropped.
 */
describe('e2e regression: a Gemini answer of images alone fails, naming the image output', function () {
  this.timeout(20_000);
  const up = useUpstreams({ ge: { kind: 'gemini' } });
  const attempts: AttemptReport[] = [];
  const onAttempt = (m: unknown) => { if ((m as AttemptReport).phase === 'end') attempts.push(m as AttemptReport); };
  before(() => listen('lip:attempt', onAttempt));
  after(() => unlisten('lip:attempt', onAttempt));
  beforeEach(() => { attempts.length = 0; });

  const chat = (stream: boolean) => fetch(`${up.lip().url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content: 'draw a cat' }] }),
  });

  for (const stream of [false, true]) {
    it(`a Chat client, ${stream ? 'streamed' : 'whole'}: a 400 naming the image output, before any output; the attempt's usage kept`, async () => {
      up.emulators.ge!.enqueue(imageOnly);
      const res = await chat(stream);
      expect(res.status).to.equal(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).to.equal('LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED');
      expect(error.message).to.contain('image/png').and.to.contain('image');
      expect(up.emulators.ge!.requests).to.have.length(1);
      expect(attempts.find((a) => a.candidateKey === MODEL)).to.include({ outcome: 'failure', errorCode: 'LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED' })
        .and.to.have.property('usage').that.includes({ inputTokens: 7, outputTokens: 1290 });
    });
  }

  it('a Gemini client, whole and streamed: the same error, not an empty candidate', async () => {
    up.emulators.ge!.enqueue(imageOnly, imageOnly);
    const whole = await up.google().models.generateContent({ model: MODEL, contents: 'draw a cat' }).then(() => undefined, (err: Error) => err);
    expect(whole?.message).to.contain('image output');
    const streamed = await (async () => {
      for await (const _chunk of await up.google().models.generateContentStream({ model: MODEL, contents: 'draw a cat' })) { /* nothing comes */ }
    })().then(() => undefined, (err: Error) => err);
    expect(streamed?.message).to.contain('image output');
  });

  it('an answer with text besides its images is the text, the images dropped', async () => {
    up.emulators.ge!.enqueue({ text: 'Here is your cat.', media: [IMAGE], usage: { input: 7, output: 1300 } });
    const res = await chat(false);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).to.equal('Here is your cat.');
  });

  it('thoughts and images, whole: the same error before any output (the thoughts are not the answer)', async () => {
    up.emulators.ge!.enqueue({ reasoning: { text: 'Sketching a cat', signature: 'sig' }, media: [IMAGE], usage: { input: 7, output: 1400, reasoning: 100 } });
    const res = await chat(false);
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED');
  });
});
