import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const ALICE = 'alice-key-0123456789ab';
const BOB = 'bob-key-0123456789abcd';
/** A PDF's first bytes, a PNG's (bytes that are not UTF-8), and a text. */
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
const NOTES = 'Meeting notes: ship on Friday.';

async function refused(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(Anthropic.APIError);
  return err as InstanceType<typeof Anthropic.APIError>;
}

/**
 * Anthropic's Files API (`client.beta.files`) through the official SDK against a real lip: files
 * kept by lip byte for byte at `/v1/files` (the path OpenAI's Files API shares, told apart by
 * `anthropic-version`), Anthropic's metadata, list pages, delete; content blocks naming a file by
 * `file_id` reach any backend (Anthropic, OpenAI Chat, Gemini) with its bytes inline.
 */
describe('e2e: Anthropic files', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let claude: Emulator;
  let chat: Emulator;
  let gemini: Emulator;
  let pdf: Json;
  let png: Json;
  let notes: Json;
  const client = (key = ALICE) => new Anthropic({ baseURL: lip.url, apiKey: key, maxRetries: 0 });

  before(async () => {
    [claude, chat, gemini] = await Promise.all([startAnthropicEmulator(), startOpenAIChatEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig(`
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }
`, `continuity: { ttl: 72h }
auth:
  api_keys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }`));
    const files = client().beta.files;
    pdf = await files.upload({ file: await toFile(PDF, 'reports/q3.pdf', { type: 'application/pdf' }) }) as Json;
    png = await files.upload({ file: await toFile(PNG, 'chart.png') }) as Json;
    notes = await files.upload({ file: await toFile(Buffer.from(NOTES), 'notes.txt', { type: 'text/plain' }), expires_in_seconds: 7_200 }) as Json;
  });
  after(async () => {
    await lip?.close();
    await Promise.all([claude?.close(), chat?.close(), gemini?.close()]);
  });
  beforeEach(() => {
    for (const emu of [claude, chat, gemini]) emu.reset();
  });

  it('an upload is Anthropic file metadata: the name\'s last component, its media type, its size, not downloadable', async () => {
    expect(pdf.id).to.match(/^file_[A-Za-z0-9]{24}$/);
    expect(pdf).to.include({ type: 'file', filename: 'q3.pdf', mime_type: 'application/pdf', size_bytes: PDF.length, downloadable: false });
    expect(png).to.include({ filename: 'chart.png', mime_type: 'image/png' });
    expect(Date.parse(notes.expires_at) - Date.parse(notes.created_at)).to.equal(7_200_000);
    expect(Date.parse(pdf.expires_at) - Date.parse(pdf.created_at)).to.equal(72 * 3_600_000);
    expect(await client().beta.files.retrieveMetadata(pdf.id)).to.deep.equal(pdf);
    const download = await refused(client().beta.files.download(pdf.id));
    expect(download.status).to.equal(400);
    expect(download.message).to.contain('downloadable: false');
    const expiry = await refused(client().beta.files.upload({ file: await toFile(PNG, 'x.png'), expires_in_seconds: 60 }));
    expect(expiry.status).to.equal(400);
    expect(expiry.message).to.contain('expires_in_seconds: must be an integer from 3600 to 7776000');
  });

  it('documents and images naming files reach an Anthropic backend inline, a text file as a text source', async () => {
    await client().beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 100, betas: ['files-api-2025-04-14'],
      messages: [{ role: 'user', content: [
        { type: 'document', source: { type: 'file', file_id: pdf.id }, title: 'Q3' },
        { type: 'image', source: { type: 'file', file_id: png.id } },
        { type: 'document', source: { type: 'file', file_id: notes.id } },
        { type: 'text', text: 'Compare them.' },
      ] }],
    });
    const blocks = claude.requests[0]!.body.messages[0].content as Json[];
    expect(blocks[0]).to.deep.include({ type: 'document', title: 'Q3', source: { type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') } });
    expect(blocks[1]).to.deep.include({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') } });
    expect(blocks[2]).to.deep.include({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: NOTES } });
  });

  it('the same request reaches an OpenAI Chat backend and a Gemini backend with the bytes, and a token count reads them', async () => {
    const content = [{ type: 'document' as const, source: { type: 'file' as const, file_id: pdf.id } }, { type: 'image' as const, source: { type: 'file' as const, file_id: png.id } }, { type: 'text' as const, text: 'What is in them?' }];
    await client().beta.messages.create({ model: 'oc:gpt-4o', max_tokens: 100, messages: [{ role: 'user', content }] });
    const parts = chat.requests[0]!.body.messages[0].content as Json[];
    expect(parts.find((p) => p.type === 'file')!.file.file_data).to.equal(`data:application/pdf;base64,${PDF.toString('base64')}`);
    expect(parts.find((p) => p.type === 'image_url')!.image_url.url).to.equal(`data:image/png;base64,${PNG.toString('base64')}`);
    await client().beta.messages.create({ model: 'gem:gemini-2.5-flash', max_tokens: 100, messages: [{ role: 'user', content }] });
    const geminiParts = gemini.requests[0]!.body.contents[0].parts as Json[];
    expect(geminiParts.slice(0, 2)).to.deep.equal([
      { inlineData: { mimeType: 'application/pdf', data: PDF.toString('base64') } },
      { inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } },
    ]);
    const count = await client().beta.messages.countTokens({ model: 'oc:gpt-4o', messages: [{ role: 'user', content }] });
    expect(count.input_tokens).to.be.greaterThan(0);
  });

  it("an id lip holds no file of for the caller goes on as it was: Anthropic's own file to an Anthropic backend, another key's", async () => {
    await client(BOB).beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: pdf.id } }, { type: 'document', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } }, { type: 'text', text: 'Read.' }] }],
    });
    const blocks = claude.requests[0]!.body.messages[0].content as Json[];
    expect(blocks[0]!.source).to.deep.equal({ type: 'file', file_id: pdf.id });
    expect(blocks[1]!.source).to.deep.equal({ type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' });
    expect((await refused(client(BOB).beta.files.retrieveMetadata(pdf.id))).status).to.equal(404);
    // An image has no file source lip can send on: one it holds no file of is a 400 naming it.
    const image = await refused(client(BOB).beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: png.id } }] }] }));
    expect(image.status).to.equal(400);
    expect(image.message).to.contain(`messages[0].content[0].source.file_id: ${png.id} is no image file of yours on this server`);
    // Code execution cannot read a file lip holds: a clear 400 rather than Anthropic's 404.
    const upload = await refused(client().beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 10, betas: ['code-execution-2025-08-25'],
      messages: [{ role: 'user', content: [{ type: 'container_upload', file_id: notes.id }, { type: 'text', text: 'Analyse it.' }] }],
      tools: [{ type: 'code_execution_20250825', name: 'code_execution' }],
    } as never));
    expect(upload.status).to.equal(400);
    expect(upload.message).to.contain(`container_upload: ${notes.id} (notes.txt) is a file uploaded to lip`);
    expect(claude.requests).to.have.length(1);
  });

  it('lists newest first through the SDK\'s pager, by before_id / after_id, by ids; deletes', async () => {
    const bob = client(BOB).beta.files;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await bob.upload({ file: await toFile(Buffer.from(`note ${i}`), `n${i}.txt`) })).id);
    const newest = [...made].reverse();
    const paged: string[] = [];
    for await (const f of bob.list({ limit: 2 })) paged.push(f.id);
    expect(paged).to.deep.equal(newest);
    const raw = async (query: string) => (await fetch(`${lip.url}/v1/files?${query}`, { headers: { 'x-api-key': BOB, 'anthropic-version': '2023-06-01' } }).then((r) => r.json())) as Json;
    const first = await raw('limit=2');
    expect(first).to.deep.include({ has_more: true, first_id: newest[0], last_id: newest[1], next_page: newest[1] });
    expect((await raw(`limit=2&after_id=${newest[1]}`)).data.map((f: Json) => f.id)).to.deep.equal(newest.slice(2, 4));
    const before = await raw(`limit=2&before_id=${newest[3]}`);
    expect(before.data.map((f: Json) => f.id)).to.deep.equal(newest.slice(1, 3));
    // More remain in that direction (the newest), and none past the first.
    expect(before.has_more).to.equal(true);
    expect((await raw(`limit=2&before_id=${newest[2]}`)).has_more).to.equal(false);
    expect((await raw(`ids=${made[0]},${made[2]},file_missing`)).data.map((f: Json) => f.id)).to.deep.equal([made[2], made[0]]);
    expect((await raw('scope_id=sesn_1')).data).to.deep.equal([]);
    for (const id of made) expect(await bob.delete(id)).to.deep.equal({ id, type: 'file_deleted' });
    expect((await raw('limit=5')).data).to.deep.equal([]);
    expect((await refused(bob.retrieveMetadata(made[0]!))).status).to.equal(404);
  });

  it("OpenAI's Files API keeps its own files at the same path: each protocol lists and finds only its own", async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const mine = await openai.files.create({ file: await toFile(PDF, 'openai.pdf'), purpose: 'user_data' });
    expect(mine.id).to.match(/^file-/);
    const openaiIds: string[] = [];
    for await (const f of openai.files.list()) openaiIds.push(f.id);
    expect(openaiIds).to.include(mine.id).and.not.include(pdf.id);
    const anthropicIds: string[] = [];
    for await (const f of client().beta.files.list()) anthropicIds.push(f.id);
    expect(anthropicIds).to.include.members([pdf.id, png.id, notes.id]).and.not.include(mine.id);
    expect((await openai.files.retrieve(pdf.id).then(() => 200, (e: { status: number }) => e.status))).to.equal(404);
    await openai.files.delete(mine.id);
  });
});
