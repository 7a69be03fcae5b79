import { expect } from 'chai';
import { ApiError } from '@google/genai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * A video sent by URL (a Gemini client's `fileData` of type `video/mp4`) reached openai-chat as
 * the text `[document: https://…/clip.mp4]`, and so did audio by URL: the model answered about a
 * video it never saw, where the same video inline is a 400. Chat takes no video, and audio only
 * inline (`input_audio`): either by URL is now a 400 LIP_ERR_REQUEST_UNSUPPORTED naming it before
 * anything is sent; a document by URL is still named in text.
 */
describe('e2e regression: video and audio by URL to openai-chat are refused, not named in text', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' } });
  const ask = (fileData: { mimeType: string; fileUri: string }) => up.google().models.generateContent({
    model: 'oc:gpt-4o', contents: [{ role: 'user', parts: [{ fileData }, { text: 'What happens in it?' }] }],
  });
  const refusal = async (fileData: { mimeType: string; fileUri: string }): Promise<string> => {
    const err = await ask(fileData).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    return (err as ApiError).message;
  };

  it('a video by URL is a 400 naming it, as inline video is, before any upstream call', async () => {
    const message = await refusal({ mimeType: 'video/mp4', fileUri: 'https://example.com/clip.mp4' });
    expect(message).to.include('LIP_ERR_REQUEST_UNSUPPORTED').and.include('openai-chat takes no video input (video/mp4)');
    expect(up.emulators.oc!.requests).to.have.length(0);
  });

  it('audio by URL is a 400 saying Chat takes audio inline only, before any upstream call', async () => {
    const message = await refusal({ mimeType: 'audio/mpeg', fileUri: 'https://example.com/talk.mp3' });
    expect(message).to.include('LIP_ERR_REQUEST_UNSUPPORTED').and.include('openai-chat takes audio inline only, not by URL (audio/mpeg)');
    expect(up.emulators.oc!.requests).to.have.length(0);
  });

  it('a document by URL is still named in text (Chat takes no file URLs)', async () => {
    up.emulators.oc!.enqueue({ text: 'ok' });
    await ask({ mimeType: 'application/pdf', fileUri: 'https://example.com/report.pdf' });
    expect((up.emulators.oc!.requests[0]!.body as Json).messages[0].content[0]).to.deep.equal({ type: 'text', text: '[document: https://example.com/report.pdf]' });
  });
});
