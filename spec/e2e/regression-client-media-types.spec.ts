import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb004300', 'hex').toString('base64');
const TEXT = Buffer.from('hello').toString('base64');

/**
 * A client's media type with parameters or in upper case (a Gemini client's inlineData
 * `image/jpeg; name=a.jpg` or `text/plain; charset=utf-8`, an Anthropic client's base64
 * `image/JPEG`) was cleaned by the Anthropic backend only: Bedrock refused it, Gemini got it as
 * written and OpenAI got it inside a data: URL (with its space); the Gemini frontend took an
 * `IMAGE/PNG` file for a document, and Bedrock took a data: URL that is not base64 (percent-encoded) for no data: URL.
 * The frontends now normalise the media type where they decode it, as they do a data: URL's.
 */
describe('e2e regression: a client\'s media type reaches every backend normalised', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let gemini: GoogleGenAI;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    [emulators.br, emulators.an, emulators.gem, emulators.oc] = await Promise.all([startBedrockEmulator(), startAnthropicEmulator(), startGeminiEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig(`${bedrockRow('br', emulators.br!)}
  - { id: an, kind: anthropic, base_url: "${emulators.an!.url}", api_key: k-0123456789 }
  - { id: gem, kind: gemini, base_url: "${emulators.gem!.url}", api_key: k-0123456789 }
  - { id: oc, kind: openai-chat, base_url: "${emulators.oc!.url}", api_key: k-0123456789 }`));
    gemini = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    for (const e of Object.values(emulators)) await e.close();
  });
  beforeEach(() => {
    for (const e of Object.values(emulators)) e.reset();
  });

  const last = (id: string): Json => emulators[id]!.requests.at(-1)!.body;
  const askGemini = async (model: string, parts: Json[]) => {
    emulators[model.split(':')[0]!]!.enqueue({ text: 'ok' });
    await gemini.models.generateContent({ model, contents: [{ role: 'user', parts: [{ text: 'look' }, ...parts] }] });
  };

  it('a Gemini client\'s inlineData image/JPEG; name=a.jpg and text/plain; charset=utf-8 reach each backend as image/jpeg and text/plain', async () => {
    const parts = [{ inlineData: { mimeType: 'image/JPEG; name=a.jpg', data: JPEG } }, { inlineData: { mimeType: 'text/plain; charset=utf-8', data: TEXT } }];
    await askGemini('br:anthropic.claude-sonnet-4-5-20250929-v1:0', parts);
    expect(last('br').messages[0].content.slice(1)).to.deep.equal([
      { image: { format: 'jpeg', source: { bytes: JPEG } } },
      { document: { format: 'txt', name: 'document', source: { bytes: TEXT } } },
    ]);
    await askGemini('gem:gemini-2.5-flash', parts);
    expect(last('gem').contents[0].parts.slice(1)).to.deep.equal([{ inlineData: { mimeType: 'image/jpeg', data: JPEG } }, { inlineData: { mimeType: 'text/plain', data: TEXT } }]);
    await askGemini('oc:gpt-4.1', parts.slice(0, 1));
    expect(last('oc').messages[0].content[1]).to.deep.equal({ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${JPEG}` } });
    await askGemini('an:claude-sonnet-4-6', parts);
    expect(last('an').messages[0].content.slice(1).map((b: Json) => b.source)).to.deep.equal([
      { type: 'base64', media_type: 'image/jpeg', data: JPEG }, { type: 'text', media_type: 'text/plain', data: 'hello' },
    ]);
  });

  it('a Gemini client\'s fileData of an upper-case image type is an image', async () => {
    await askGemini('gem:gemini-2.5-flash', [{ fileData: { mimeType: 'IMAGE/PNG', fileUri: 'https://example.com/cat' } }]);
    expect(last('gem').contents[0].parts[1]).to.deep.equal({ fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat' } });
    const err = await askGemini('br:anthropic.claude-sonnet-4-5-20250929-v1:0', [{ fileData: { mimeType: 'IMAGE/PNG', fileUri: 'https://example.com/cat' } }]).catch((e: unknown) => e);
    expect(String(err)).to.match(/bedrock takes images inline only/);
  });

  it('an Anthropic client\'s base64 image/JPEG reaches Bedrock and Gemini as image/jpeg', async () => {
    const image = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/JPEG' as 'image/jpeg', data: JPEG } };
    for (const [id, model] of [['br', 'br:anthropic.claude-sonnet-4-5-20250929-v1:0'], ['gem', 'gem:gemini-2.5-flash']] as const) {
      emulators[id]!.enqueue({ text: 'ok' });
      await anthropic.messages.create({ model, max_tokens: 20, messages: [{ role: 'user', content: [image, { type: 'text', text: 'look' }] }] });
    }
    expect(last('br').messages[0].content[0]).to.deep.equal({ image: { format: 'jpeg', source: { bytes: JPEG } } });
    expect(last('gem').contents[0].parts[0]).to.deep.equal({ inlineData: { mimeType: 'image/jpeg', data: JPEG } });
  });

  it('a data: URL that is not base64 (percent-encoded) reaches Bedrock inline, as base64 of its bytes', async () => {
    await askGemini('br:anthropic.claude-sonnet-4-5-20250929-v1:0', [{ fileData: { mimeType: 'text/plain', fileUri: 'data:text/plain,hello' } }]);
    expect(last('br').messages[0].content[1]).to.deep.equal({ document: { format: 'txt', name: 'document', source: { bytes: TEXT } } });
  });
});
