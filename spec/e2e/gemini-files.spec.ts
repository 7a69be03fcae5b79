import { ApiError, createPartFromUri, GoogleGenAI, type File as GeminiFile } from '@google/genai';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

type Json = Record<string, any>;

const ALICE = 'alice-key-0123456789ab';
const BOB = 'bob-key-0123456789abcd';
/** A PNG's and a PDF's first bytes (bytes that are not UTF-8 too). */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
const PDF = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1');
const MAX_FILE_BYTES = 4096;

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(ApiError);
  return err as ApiError;
}

const messageOf = (err: ApiError) => (JSON.parse(err.message) as Json).error.message as string;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

/**
 * Gemini's Files API (`ai.files`) through the official SDK against a real lip: uploads kept by
 * lip (the resumable protocol, in one chunk or several, and raw), Google's File resource, list,
 * get and delete, and `fileData` parts naming a file by its URI reaching any backend with the
 * file's bytes inline.
 */
describe('e2e: Gemini files', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let chat: Emulator;
  let claude: Emulator;
  let gemini: Emulator;
  let png: GeminiFile;
  let pdf: GeminiFile;
  const client = (key = ALICE) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  /** A raw request to lip's upload endpoint (the SDK's chunks, one by one). */
  const post = (path: string, headers: Record<string, string>, body: string | Buffer, key = ALICE) =>
    httpRequest(`${lip.url}${path}`, { method: 'POST', headers: { 'x-goog-api-key': key, ...headers }, body });

  before(async () => {
    [chat, claude, gemini] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator(), startGeminiEmulator()]);
    lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: k-0123456789 }
`, `server: { max_batch_body_bytes: ${MAX_FILE_BYTES} }
continuity: { ttl: 72h }
auth:
  api_keys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }`));
    const ai = client();
    png = await ai.files.upload({ file: new Blob([PNG], { type: 'image/png' }), config: { displayName: 'chart' } });
    pdf = await ai.files.upload({ file: new Blob([PDF]), config: { mimeType: 'application/pdf' } });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close(), gemini?.close()]);
  });
  beforeEach(() => {
    for (const emu of [chat, claude, gemini]) emu.reset();
  });

  it('an upload through the SDK is a File as Google shows it, and get answers the same', async () => {
    expect(png.name).to.match(/^files\/[a-z0-9]{12}$/);
    expect(png).to.include({ displayName: 'chart', mimeType: 'image/png', sizeBytes: String(PNG.length), sha256Hash: sha256(PNG), state: 'ACTIVE', source: 'UPLOADED' });
    expect(png.uri).to.equal(`${lip.url}/v1beta/${png.name}`);
    const lifetime = Date.parse(png.expirationTime!) - Date.parse(png.createTime!);
    expect(lifetime).to.equal(48 * 3_600_000);
    expect(await client().files.get({ name: png.name! })).to.deep.include({ name: png.name, sizeBytes: png.sizeBytes, sha256Hash: png.sha256Hash, uri: png.uri });
    expect(pdf).to.include({ mimeType: 'application/pdf', sizeBytes: String(PDF.length), sha256Hash: sha256(PDF) });
    const download = await fetch(`${lip.url}/v1beta/${png.name}:download?alt=media`, { headers: { 'x-goog-api-key': ALICE } });
    expect(download.status).to.equal(400);
    expect(((await download.json()) as Json).error.message).to.contain('only generated files can be downloaded');
  });

  it('a request naming files by URI reaches an OpenAI Chat backend and an Anthropic backend with their bytes', async () => {
    const ai = client();
    await ai.models.generateContent({ model: 'oc:gpt-4o', contents: [createPartFromUri(png.uri!, png.mimeType!), 'What does the chart show?'] });
    const parts = chat.requests[0]!.body.messages.at(-1).content as Json[];
    expect(parts.find((p) => p.type === 'image_url')!.image_url.url).to.equal(`data:image/png;base64,${PNG.toString('base64')}`);
    await ai.models.generateContent({ model: 'an:claude-sonnet-4-6', contents: [createPartFromUri(pdf.uri!, pdf.mimeType!), 'Summarise the report.'] });
    const blocks = claude.requests[0]!.body.messages[0].content as Json[];
    expect(blocks.find((b) => b.type === 'document')!.source).to.deep.equal({ type: 'base64', media_type: 'application/pdf', data: PDF.toString('base64') });
  });

  it('a Gemini backend gets the bytes inline too, streamed and in a token count; a part without a media type takes the file\'s', async () => {
    const ai = client();
    const stream = await ai.models.generateContentStream({ model: 'gem:gemini-2.5-flash', contents: [{ role: 'user', parts: [{ fileData: { fileUri: png.uri! } }, { text: 'Describe it.' }] }] });
    for await (const _chunk of stream) { /* drained */ }
    const sent = gemini.requests.find((r) => r.path.includes('streamGenerateContent'))!.body.contents[0].parts as Json[];
    expect(sent[0]).to.deep.equal({ inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } });
    const counted = await ai.models.countTokens({ model: 'gem:gemini-2.5-flash', contents: [createPartFromUri(pdf.uri!, 'application/pdf'), 'How long?'] });
    expect(counted.totalTokens).to.be.a('number');
    expect(JSON.stringify(gemini.requests.map((r) => r.body))).to.not.contain(pdf.uri);
  });

  it("a URI lip holds no file of for the caller (Google's own, another key's) goes on as it was", async () => {
    const google = 'https://generativelanguage.googleapis.com/v1beta/files/abc123def456';
    await client(BOB).models.generateContent({ model: 'gem:gemini-2.5-flash', contents: [createPartFromUri(png.uri!, 'image/png'), createPartFromUri(google, 'video/mp4'), 'Compare.'] });
    const parts = gemini.requests[0]!.body.contents[0].parts as Json[];
    expect(parts[0]).to.deep.equal({ fileData: { fileUri: png.uri, mimeType: 'image/png' } });
    expect(parts[1]).to.deep.equal({ fileData: { fileUri: google, mimeType: 'video/mp4' } });
    expect(JSON.stringify(parts)).to.not.contain(PNG.toString('base64'));
    expect((await apiError(client(BOB).files.get({ name: png.name! }))).status).to.equal(404);
  });

  it('lists the caller\'s files newest first through the SDK\'s pager, and only theirs', async () => {
    const bob = client(BOB);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await bob.files.upload({ file: new Blob([Buffer.from(`note ${i}`)], { type: 'text/plain' }) })).name!);
    const names: string[] = [];
    for await (const file of await bob.files.list({ config: { pageSize: 2 } })) names.push(file.name!);
    expect(names).to.deep.equal([...made].reverse());
    const first = await httpRequest(`${lip.url}/v1beta/files?pageSize=2`, { method: 'GET', headers: { 'x-goog-api-key': BOB } });
    const page = JSON.parse(first.body) as Json;
    expect(page.files.map((f: Json) => f.name)).to.deep.equal([made[2], made[1]]);
    expect(page.nextPageToken).to.be.a('string');
    const aliceNames: string[] = [];
    for await (const file of await client().files.list()) aliceNames.push(file.name!);
    expect(aliceNames).to.include.members([png.name, pdf.name]).and.not.include(made[0]);
    for (const name of made) await bob.files.delete({ name });
  });

  it('deletes a file: get is then a 404 in Google\'s envelope, and a request naming it goes on as it was', async () => {
    const ai = client();
    const gone = await ai.files.upload({ file: new Blob([PNG], { type: 'image/png' }) });
    await ai.files.delete({ name: gone.name! });
    const err = await apiError(ai.files.get({ name: gone.name! }));
    expect(err.status).to.equal(404);
    expect(JSON.parse(err.message).error.status).to.equal('NOT_FOUND');
    await ai.models.generateContent({ model: 'gem:gemini-2.5-flash', contents: [createPartFromUri(gone.uri!, 'image/png'), 'And now?'] });
    expect(gemini.requests[0]!.body.contents[0].parts[0]).to.deep.equal({ fileData: { fileUri: gone.uri, mimeType: 'image/png' } });
  });

  it('a resumable upload in several chunks: offsets checked, the size asked for, finalized as one file', async () => {
    const bytes = Buffer.from('0123456789');
    const start = await post('/upload/v1beta/files', {
      'content-type': 'application/json', 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': '10', 'x-goog-upload-header-content-type': 'text/plain',
    }, JSON.stringify({ file: { name: 'files/digits-1', displayName: 'digits' } }));
    expect(start.status).to.equal(200);
    expect(start.body).to.equal('');
    expect(start.headers['x-goog-upload-status']).to.equal('active');
    const url = new URL(String(start.headers['x-goog-upload-url']));
    expect(url.origin).to.equal(lip.url);
    const at = `${url.pathname}${url.search}`;
    const first = await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, bytes.subarray(0, 4));
    expect(first.status).to.equal(200);
    expect(first.headers).to.include({ 'x-goog-upload-status': 'active', 'x-goog-upload-size-received': '4' });
    const wrong = await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, bytes.subarray(4, 8));
    expect(wrong.status).to.equal(400);
    expect(JSON.parse(wrong.body).error.message).to.contain('X-Goog-Upload-Offset: must be 4');
    await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '4' }, bytes.subarray(4, 8));
    const query = await post(at, { 'x-goog-upload-command': 'query' }, '');
    expect(query.headers['x-goog-upload-size-received']).to.equal('8');
    const early = await post(at, { 'x-goog-upload-command': 'finalize' }, '');
    expect(early.status).to.equal(400);
    expect(JSON.parse(early.body).error.message).to.contain('would hold 8');
    const last = await post(at, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '8' }, bytes.subarray(8));
    expect(last.status).to.equal(200);
    expect(last.headers['x-goog-upload-status']).to.equal('final');
    const file = JSON.parse(last.body).file as Json;
    expect(file).to.include({ name: 'files/digits-1', displayName: 'digits', mimeType: 'text/plain', sizeBytes: '10', sha256Hash: sha256(bytes) });
    // The session is gone once finalized; the name is taken.
    expect((await post(at, { 'x-goog-upload-command': 'query' }, '')).status).to.equal(404);
    const again = await apiError(client().files.upload({ file: new Blob([bytes], { type: 'text/plain' }), config: { name: 'digits-1' } }));
    expect(again.status).to.equal(400);
    expect(messageOf(again)).to.contain('files/digits-1 is in use');
    await client().models.generateContent({ model: 'oc:gpt-4o', contents: [createPartFromUri(file.uri, 'text/plain'), 'Read it.'] });
    expect(JSON.stringify(chat.requests[0]!.body.messages)).to.contain(bytes.toString('base64'));
  });

  it('refuses what it cannot keep with errors naming the header or field', async () => {
    const start = (headers: Record<string, string>, body: string | Buffer = '{}') => post('/upload/v1beta/files', { 'content-type': 'application/json', 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', ...headers }, body);
    const tooLarge = await start({ 'x-goog-upload-header-content-length': String(MAX_FILE_BYTES + 1), 'x-goog-upload-header-content-type': 'image/png' });
    expect(tooLarge.status).to.equal(413);
    expect(JSON.parse(tooLarge.body).error.message).to.contain('server.max_batch_body_bytes');
    const noType = await start({ 'x-goog-upload-header-content-length': '3' });
    expect(noType.status).to.equal(400);
    expect(JSON.parse(noType.body).error.message).to.contain('file.mimeType');
    const badName = await start({ 'x-goog-upload-header-content-type': 'text/plain' }, JSON.stringify({ file: { name: 'files/Not_Valid' } }));
    expect(JSON.parse(badName.body).error.message).to.contain('file.name: must be files/');
    // Metadata in ISO-8859-1 is refused where the display name would have lost its "é".
    const latin1 = await start({ 'x-goog-upload-header-content-type': 'text/plain' }, Buffer.from(JSON.stringify({ file: { displayName: 'caf\u00e9' } }), 'latin1'));
    expect([latin1.status, JSON.parse(latin1.body).error.message]).to.deep.equal([400,
      'the start of a resumable upload carries its metadata as JSON ({"file": {"displayName": ...}}): the request body is not UTF-8: byte 0xE9 at line 1, column 28 (byte 27) is not valid UTF-8 (is it ISO-8859-1 or Windows-1252?); send JSON as UTF-8 (RFC 8259 section 8.1)']);
    // Another method on the upload path is a 405 in Google's envelope.
    const put = await httpRequest(`${lip.url}/upload/v1beta/files`, { method: 'PUT', headers: { 'x-goog-api-key': ALICE }, body: 'x' });
    expect(put.status).to.equal(405);
    expect(JSON.parse(put.body).error).to.include({ code: 405, status: 'UNIMPLEMENTED' });
    const multipart = await post('/upload/v1beta/files', { 'x-goog-upload-protocol': 'multipart' }, 'x');
    expect(JSON.parse(multipart.body).error.message).to.contain('X-Goog-Upload-Protocol');
    const unknown = await post('/upload/v1beta/files?upload_id=abcdefabcdefabcdefabcdefabcdef12', { 'x-goog-upload-command': 'upload, finalize' }, 'xyz');
    expect(unknown.status).to.equal(404);
    // A chunk past the announced length, and a whole upload past the limit through the SDK.
    const session = await start({ 'x-goog-upload-header-content-length': '3', 'x-goog-upload-header-content-type': 'text/plain' });
    const url = new URL(String(session.headers['x-goog-upload-url']));
    const over = await post(`${url.pathname}${url.search}`, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'four');
    expect(JSON.parse(over.body).error.message).to.contain('started as 3 bytes');
    const cancelled = await post(`${url.pathname}${url.search}`, { 'x-goog-upload-command': 'cancel' }, '');
    expect(cancelled.headers['x-goog-upload-status']).to.equal('cancelled');
    expect((await post(`${url.pathname}${url.search}`, { 'x-goog-upload-command': 'query' }, '')).status).to.equal(404);
    expect((await apiError(client().files.upload({ file: new Blob([Buffer.alloc(MAX_FILE_BYTES + 1)], { type: 'image/png' }) }))).status).to.equal(413);
  });

  it('takes a raw upload (the bytes, their Content-Type) and another key cannot continue an upload it did not start', async () => {
    const raw = await post('/upload/v1beta/files', { 'x-goog-upload-protocol': 'raw', 'content-type': 'image/png' }, PNG);
    expect(raw.status).to.equal(200);
    expect(JSON.parse(raw.body).file).to.include({ mimeType: 'image/png', sizeBytes: String(PNG.length), sha256Hash: sha256(PNG) });
    const start = await post('/upload/v1beta/files', { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-type': 'text/plain' }, '');
    const url = new URL(String(start.headers['x-goog-upload-url']));
    const other = await post(`${url.pathname}${url.search}`, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'hi', BOB);
    expect(other.status).to.equal(404);
    const mine = await post(`${url.pathname}${url.search}`, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'hi');
    expect(JSON.parse(mine.body).file.sizeBytes).to.equal('2');
  });
});
