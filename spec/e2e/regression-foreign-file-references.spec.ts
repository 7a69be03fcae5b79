import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const FILES_URI = 'https://generativelanguage.googleapis.com/v1beta/files/abc123';
const GS_URI = 'gs://bucket/doc.pdf';

/**
 * A file named by a reference only one provider resolves went to backends of other providers: a
 * Gemini Files API URI or a `gs://` URI to Anthropic as a URL source (which the API cannot fetch,
 * or refuses as not HTTP) and to OpenAI as `image_url`/`file_url`, an OpenAI file id to Gemini as
 * `fileUri: "file-abc123"`. Each backend now refuses such a reference before sending (a 400
 * LIP_ERR_REQUEST_UNSUPPORTED naming it, retryable so that a route moves on to a backend that
 * reads it), as bedrock refuses every URL; its own provider's references and web URLs go on.
 */
describe('e2e regression: a file only another provider can read is refused before sending', function () {
  this.timeout(20_000);
  let claude: Emulator;
  let chat: Emulator;
  let responses: Emulator;
  let gemini: Emulator;
  let lip: RunningLip;
  let google: GoogleGenAI;
  let openai: OpenAI;
  let anthropic: Anthropic;
  before(async () => {
    [claude, chat, responses, gemini] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig(`
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: or, kind: openai-responses, base_url: "${responses.url}", api_key: k-0123456789 }
  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }
`));
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude, chat, responses, gemini].map((e) => e?.close()));
  });
  beforeEach(() => {
    for (const e of [claude, chat, responses, gemini]) e.reset();
  });
  const sent = () => [claude, chat, responses, gemini].reduce((n, e) => n + e.requests.length, 0);

  for (const [name, fileData] of [['a Gemini Files API URI', { mimeType: 'image/png', fileUri: FILES_URI }], ['a gs:// URI', { mimeType: 'application/pdf', fileUri: GS_URI }]] as const) {
    for (const model of ['an:claude-sonnet-4-6', 'oc:gpt-4o', 'or:gpt-4o']) {
      it(`a Gemini client's ${name} to ${model.split(':')[0]}: a 400 naming it, nothing sent`, async () => {
        const error = (await google.models.generateContent({ model, contents: [{ role: 'user', parts: [{ text: 'look' }, { fileData }] }] }).catch((e: unknown) => e)) as Error & { status?: number };
        expect(error).to.have.property('status', 400);
        expect(error.message).to.contain('LIP_ERR_REQUEST_UNSUPPORTED').and.contain(fileData.fileUri).and.contain("Google's storage");
        expect(sent()).to.equal(0);
      });
    }
    it(`a Gemini client's ${name} to gemini goes on as its fileUri`, async () => {
      gemini.enqueue({ text: 'seen' });
      await google.models.generateContent({ model: 'gem:gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'look' }, { fileData }] }] });
      expect(gemini.requests[0]!.body.contents[0].parts[1]).to.deep.equal({ fileData });
    });
  }

  it("a Chat client's OpenAI file id to gemini or anthropic: a 400 naming it; to openai-chat it goes on", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'file', file: { file_id: 'file-abc123' } }] }];
    for (const model of ['gem:gemini-2.5-flash', 'an:claude-sonnet-4-6']) {
      const error = await openai.chat.completions.create({ model, messages }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).to.contain('"file-abc123"').and.contain("OpenAI's files");
    }
    expect(sent()).to.equal(0);
    chat.enqueue({ text: 'read' });
    await openai.chat.completions.create({ model: 'oc:gpt-4o', messages });
    expect(chat.requests[0]!.body.messages[0].content[1]).to.deep.equal({ type: 'file', file: { file_id: 'file-abc123' } });
  });

  it("an Anthropic client's file id goes on to anthropic and is refused by openai-chat; a web URL goes on to both", async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'read' }, { type: 'document', source: { type: 'file', file_id: 'file_011abc' } }] }];
    const error = await anthropic.messages.create({ model: 'oc:gpt-4o', max_tokens: 64, messages }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).to.contain('file_011abc').and.contain("Anthropic's files");
    expect(sent()).to.equal(0);
    claude.enqueue({ text: 'read' });
    await anthropic.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages }, { headers: { 'anthropic-beta': 'files-api-2025-04-14' } });
    expect(claude.requests[0]!.body.messages[0].content[1]).to.deep.equal({ type: 'document', source: { type: 'file', file_id: 'file_011abc' } });
    const web: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } }] }];
    claude.enqueue({ text: 'a cat' });
    chat.enqueue({ text: 'a cat' });
    await anthropic.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: web });
    await anthropic.messages.create({ model: 'oc:gpt-4o', max_tokens: 64, messages: web });
    expect(claude.requests[1]!.body.messages[0].content[1].source).to.deep.equal({ type: 'url', url: 'https://example.com/cat.jpg' });
    expect(chat.requests[0]!.body.messages[0].content[1]).to.deep.include({ type: 'image_url' });
  });

  it('a route moves on from a backend that cannot read the file to one that can', async () => {
    gemini.enqueue({ text: 'seen' });
    const answer = await google.models.generateContent({ model: 'an:claude-sonnet-4-6|gem:gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'look' }, { fileData: { mimeType: 'application/pdf', fileUri: GS_URI } }] }] });
    expect(answer.text).to.equal('seen');
    expect(claude.requests).to.have.length(0);
    expect(gemini.requests).to.have.length(1);
  });
});
