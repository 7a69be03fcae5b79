import { expect } from 'chai';
import { ApiError } from '@google/genai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * A Gemini client's `inlineData` of any media type became a file named `document.pdf` on the
 * OpenAI backends (Chat's `file`, Responses' `input_file`), a text or JSON file with a PDF's name;
 * audio and video went to the Responses API as an `input_file` it cannot read, and video to Chat
 * as a `file`. The anthropic backend sent JSON as a base64 `document` with media type
 * application/json, which Anthropic takes only as application/pdf. Now an unnamed file is named
 * for its type (`document.txt`, `document.json`, ...; `file` for a type lip does not know), the
 * media an API takes no input of is a 400 naming it before anything is sent, and Anthropic gets
 * every text type as a plain-text document.
 */
describe('e2e: inline files of every media type reach the OpenAI and Anthropic backends in a form they take', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, an: { kind: 'anthropic' } });
  const ask = (model: string, mimeType: string, data: string) => up.google().models.generateContent({
    model, contents: [{ role: 'user', parts: [{ text: 'Read this.' }, { inlineData: { mimeType, data } }] }],
  });
  const refusal = async (model: string, mimeType: string): Promise<string> => {
    const err = await ask(model, mimeType, b64('\u0000\u0001')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(400);
    return (err as ApiError).message;
  };

  const NAMES: [string, string][] = [
    ['text/plain', 'document.txt'], ['application/json', 'document.json'], ['text/csv', 'document.csv'], ['text/markdown', 'document.md'],
    ['text/html', 'document.html'], ['application/pdf', 'document.pdf'], ['text/x-c', 'document.txt'], ['application/octet-stream', 'file'],
  ];

  for (const [mimeType, filename] of NAMES) {
    it(`${mimeType} goes to openai-chat and openai-responses named ${filename}, its data URL of that type`, async () => {
      const data = b64('{"a": 1}');
      up.emulators.oc!.enqueue({ text: 'ok' });
      await ask('oc:gpt-5', mimeType, data);
      expect((up.emulators.oc!.requests.at(-1)!.body as Json).messages[0].content[1]).to.deep.equal({ type: 'file', file: { file_data: `data:${mimeType};base64,${data}`, filename } });
      up.emulators.or!.enqueue({ text: 'ok' });
      await ask('or:gpt-5', mimeType, data);
      expect((up.emulators.or!.requests.at(-1)!.body as Json).input[0].content[1]).to.deep.equal({ type: 'input_file', filename, file_data: `data:${mimeType};base64,${data}` });
    });
  }

  it('audio and video to openai-responses are a 400 naming the input, before any upstream call', async () => {
    expect(await refusal('or:gpt-5', 'audio/wav')).to.include('openai-responses takes no audio input (audio/wav)');
    expect(await refusal('or:gpt-5', 'video/mp4')).to.include('openai-responses takes no video input (video/mp4)');
    expect(up.emulators.or!.requests).to.have.length(0);
  });

  it('video to openai-chat is a 400 naming it (audio still goes as input_audio)', async () => {
    expect(await refusal('oc:gpt-5', 'video/mp4')).to.include('openai-chat takes no video input (video/mp4)');
    expect(up.emulators.oc!.requests).to.have.length(0);
  });

  it('JSON and other text types go to anthropic as a plain-text document; another binary type is a 400', async () => {
    up.emulators.an!.enqueue({ text: 'ok' });
    await ask('an:claude-sonnet-4-6', 'application/json', b64('{"a": 1}'));
    expect((up.emulators.an!.requests.at(-1)!.body as Json).messages[0].content[1]).to.deep.equal({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: '{"a": 1}' } });
    const requests = up.emulators.an!.requests.length;
    expect(await refusal('an:claude-sonnet-4-6', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'))
      .to.include('anthropic takes inline documents as PDF or plain text only, not application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(up.emulators.an!.requests).to.have.length(requests);
  });
});
