import { expect } from 'chai';
import { ApiError } from '@google/genai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const CLIP = { startOffset: '10s', endOffset: '20s', fps: 5 };
const YOUTUBE = { fileData: { fileUri: 'https://www.youtube.com/watch?v=abc' }, videoMetadata: CLIP };

/**
 * A Gemini client's `videoMetadata` (the stretch of a video the model reads, at what frame rate)
 * was dropped even on the way to a gemini backend: the model read the whole video. The decoder
 * read only `inlineData` and `fileData` of a part, so its `mediaResolution` was lost the same way.
 * They are now the part's Gemini provider fields: a gemini backend writes them back beside the
 * part as written (and `mediaProcessing` with them); every other backend refuses a call with
 * `videoMetadata` before sending, retryable, so that a route moves on to a gemini candidate, and
 * leaves the hints (`mediaResolution`) out. On a part of no media they are a 400 naming them.
 */
describe('e2e regression: a Gemini client\'s videoMetadata and mediaResolution reach gemini, and no other backend reads the whole video instead', function () {
  this.timeout(20_000);
  const up = useUpstreams({ gem: { kind: 'gemini' }, an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' } });
  const ask = (model: string, parts: Json[]) => up.google().models.generateContent({ model, contents: [{ role: 'user', parts: [...parts, { text: 'What happens?' }] }] });
  const sent = () => Object.values(up.emulators).reduce((n, e) => n + e.requests.length, 0);

  it('a gemini backend gets videoMetadata, mediaResolution and mediaProcessing beside the part, as written', async () => {
    up.emulators.gem!.enqueue({ text: 'a cat' });
    up.emulators.gem!.enqueue({ text: 'a cat' });
    const inline = { inlineData: { mimeType: 'video/mp4', data: 'AAAA' }, videoMetadata: { fps: 2 }, mediaResolution: { level: 'MEDIA_RESOLUTION_LOW' }, mediaProcessing: 'AGENTIC' };
    await ask('gem:gemini-2.5-flash', [YOUTUBE]);
    await ask('gem:gemini-2.5-flash', [inline]);
    expect(up.emulators.gem!.requests[0]!.body.contents[0].parts[0]).to.deep.equal(YOUTUBE);
    expect(up.emulators.gem!.requests[1]!.body.contents[0].parts[0]).to.deep.equal(inline);
  });

  for (const model of ['an:claude-sonnet-4-6', 'oc:gpt-4o', 'or:gpt-4o']) {
    it(`videoMetadata to ${model.split(':')[0]}: a 400 naming it, nothing sent`, async () => {
      const err = await ask(model, [YOUTUBE]).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(400);
      expect((err as ApiError).message).to.include('LIP_ERR_REQUEST_UNSUPPORTED').and.include('videoMetadata');
      expect(sent()).to.equal(0);
    });
  }

  it('a route moves on past another provider to the gemini candidate, which gets the clip', async () => {
    up.emulators.gem!.enqueue({ text: 'a cat' });
    await ask('an:claude-sonnet-4-6|gem:gemini-2.5-flash', [YOUTUBE]);
    expect(up.emulators.an!.requests).to.have.length(0);
    expect(up.emulators.gem!.requests[0]!.body.contents[0].parts[0]).to.deep.equal(YOUTUBE);
  });

  it('an image\'s mediaResolution, a hint, is left out by another backend', async () => {
    up.emulators.oc!.enqueue({ text: 'a cat' });
    await ask('oc:gpt-4o', [{ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' }, mediaResolution: { level: 'MEDIA_RESOLUTION_HIGH' } }]);
    expect(up.emulators.oc!.requests[0]!.body.messages[0].content[0]).to.deep.equal({ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } });
  });

  it('videoMetadata on a part of no media is a 400 naming it', async () => {
    const err = await up.google().models.generateContent({ model: 'gem:gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'hi', videoMetadata: CLIP }] }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).message).to.include('contents[0].parts[0].videoMetadata: belongs on a part with inlineData or fileData');
    expect(sent()).to.equal(0);
  });
});
