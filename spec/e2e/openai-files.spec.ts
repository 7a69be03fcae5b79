import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const ALICE = 'alice-key-0123456789ab';
const BOB = 'bob-key-0123456789abcd';
/** A PDF's first bytes and a PNG's (with bytes that are not UTF-8). */
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);

/**
 * Files uploaded to lip's Files API for requests to name by id (purpose user_data or vision):
 * kept byte for byte, and put inline when a Chat Completions or Responses request names them, so
 * that any backend (Anthropic, OpenAI Chat here) gets their bytes; an id lip holds no file of for
 * the caller (a provider's own, another key's) goes on as it was.
 */
describe('e2e: files named by id in requests, through the openai SDK', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let chat: Emulator;
  let claude: Emulator;
  let pdfId: string;
  let pngId: string;
  const client = (key = ALICE) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: key, maxRetries: 0 });

  before(async () => {
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
`, `auth:
  api_keys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }`));
    const alice = client();
    pdfId = (await alice.files.create({ file: await toFile(PDF, 'report.pdf'), purpose: 'user_data' })).id;
    pngId = (await alice.files.create({ file: await toFile(PNG, 'chart.png', { type: 'image/png' }), purpose: 'vision' })).id;
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close()]);
  });
  beforeEach(() => {
    chat.reset();
    claude.reset();
  });

  it('keeps them byte for byte, with their purpose', async () => {
    const alice = client();
    expect(Buffer.from(await (await alice.files.content(pdfId)).arrayBuffer()).equals(PDF)).to.equal(true);
    expect(Buffer.from(await (await alice.files.content(pngId)).arrayBuffer()).equals(PNG)).to.equal(true);
    expect(await alice.files.retrieve(pngId)).to.deep.include({ purpose: 'vision', bytes: PNG.length, filename: 'chart.png' });
  });

  it('a Chat Completions request naming them reaches an Anthropic backend with their bytes', async () => {
    await client().chat.completions.create({
      model: 'an:claude-sonnet-4-6',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'Summarise.' },
        { type: 'file', file: { file_id: pdfId } },
        { type: 'file', file: { file_id: pngId } },
      ] }],
    });
    const content = claude.requests[0]!.body.messages[0].content as Json[];
    const document = content.find((b) => b.type === 'document')!;
    expect(document.source).to.deep.equal({ type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') });
    const image = content.find((b) => b.type === 'image')!;
    expect(image.source).to.deep.equal({ type: 'base64', media_type: 'image/png', data: PNG.toString('base64') });
  });

  it('a Responses request naming them reaches an OpenAI Chat backend inline', async () => {
    await client().responses.create({
      model: 'oc:gpt-4o',
      input: [{ role: 'user', content: [
        { type: 'input_text', text: 'Look.' },
        { type: 'input_image', file_id: pngId, detail: 'high' },
        { type: 'input_file', file_id: pdfId },
      ] }],
    });
    const parts = chat.requests[0]!.body.messages.at(-1).content as Json[];
    expect(parts.find((p) => p.type === 'image_url')!.image_url).to.deep.include({ url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'high' });
    expect(parts.find((p) => p.type === 'file')!.file).to.deep.include({ file_data: `data:application/pdf;base64,${PDF.toString('base64')}`, filename: 'report.pdf' });
  });

  it("an id lip holds no file of for the caller goes on as it was: a provider's own, and another key's", async () => {
    await client().chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-ProvidersOwn123' } }] }] });
    expect((chat.requests[0]!.body.messages.at(-1).content as Json[])[0]).to.deep.equal({ type: 'file', file: { file_id: 'file-ProvidersOwn123' } });
    await client(BOB).chat.completions.create({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: pdfId } }] }] });
    expect((chat.requests[1]!.body.messages.at(-1).content as Json[])[0]).to.deep.equal({ type: 'file', file: { file_id: pdfId } });
    expect(JSON.stringify(chat.requests[1]!.body)).to.not.contain(PDF.toString('base64'));
  });
});
