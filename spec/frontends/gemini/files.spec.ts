import { expect } from 'chai';
import { createContinuityStore, type ContinuityStore } from '../../../lib/continuity/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { geminiFileRoutes, resolveGeminiFiles, resolveGeminiReferences } from '../../../lib/frontends/gemini/files.js';
import { cachedContentRoutes } from '../../../lib/frontends/gemini/cached-contents.js';
import { ResourceAnswer, type ResourceRoute, type StoredResponses } from '../../../lib/frontends/protocol.js';
import { storedResponses } from '../../../lib/server/stored-responses.js';
import { later } from '../../helpers/moved-clock.js';

type Json = Record<string, any>;

const DAY = 86_400_000;
let store: ContinuityStore;
const storeOf = (principal: string): StoredResponses => storedResponses(store, principal);
const routeOf = (method: string, path: string): ResourceRoute => geminiFileRoutes.find((r) => r.method === method && r.path === path)!;

/** A raw upload of `bytes` (one request), as the server hands it to the route. */
async function uploaded(responses: StoredResponses, bytes: Buffer, type = 'image/png', retentionMs = DAY): Promise<Json> {
  const answer = await routeOf('POST', '/upload/v1beta/files').handle({
    params: {}, query: new URLSearchParams(), body: undefined, bytes, headers: { 'x-goog-upload-protocol': 'raw', 'content-type': type },
    origin: 'http://lip.test', responses, retentionMs, maxFileBytes: 1_048_576,
  });
  expect(answer).to.be.instanceOf(ResourceAnswer);
  return ((answer as ResourceAnswer).body as Json).file;
}


describe('gemini files', () => {
  beforeEach(() => {
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 86_400_000, max_legs: 1_000 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('a body naming no file by fileData is not looked at (no promise), nor one naming only URIs of another form', () => {
    expect(resolveGeminiFiles({ contents: [{ role: 'user', parts: [{ text: 'hi' }, { inlineData: { mimeType: 'image/png', data: 'AA==' } }] }] }, storeOf('a'))).to.equal(undefined);
    expect(resolveGeminiFiles({ contents: [{ parts: [{ fileData: { fileUri: 'gs://bucket/video.mp4' } }] }] }, storeOf('a'))).to.equal(undefined);
    expect(resolveGeminiReferences({ contents: 'not parts' }, storeOf('a'))).to.equal(undefined);
    expect(resolveGeminiFiles(null, storeOf('a'))).to.equal(undefined);
  });

  it('puts a file inline wherever a part may name it: snake_case keys, function responses, the system instruction, a cached content put in place', async () => {
    const alice = storeOf('alice');
    const file = await uploaded(alice, Buffer.from([1, 2, 3]), 'image/png');
    const inline = { inlineData: { mimeType: 'image/png', data: Buffer.from([1, 2, 3]).toString('base64') } };
    const body = {
      system_instruction: { parts: [{ file_data: { file_uri: file.uri } }] },
      contents: [
        { role: 'user', parts: [{ text: 'look' }, { fileData: { fileUri: file.name, mimeType: 'image/png' } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'shot', response: {}, parts: [{ fileData: { fileUri: file.uri } }] } }] },
      ],
    };
    const resolved = await resolveGeminiFiles(body, alice) as Json;
    expect(resolved.system_instruction.parts[0]).to.deep.equal(inline);
    expect(resolved.contents[0].parts).to.deep.equal([{ text: 'look' }, inline]);
    expect(resolved.contents[1].parts[0].functionResponse.parts[0]).to.deep.equal(inline);
    expect(body.contents[0]!.parts[1]).to.have.property('fileData');
    // A cached content naming the file: its contents get the bytes once it is put in the request.
    const cached = await cachedContentRoutes.find((r) => r.method === 'POST' && r.path === '/v1beta/cachedContents')!.handle({
      params: {}, query: new URLSearchParams(), body: { model: 'models/m', contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri } }] }] },
      headers: {}, origin: 'http://lip.test', responses: alice, retentionMs: DAY, maxFileBytes: 1_048_576,
    }) as Json;
    const withCache = await resolveGeminiReferences({ cachedContent: cached.name, contents: [{ role: 'user', parts: [{ text: 'and?' }] }] }, alice, { model: 'm' }) as Json;
    expect(withCache.cachedContent.contents[0].parts[0]).to.deep.equal(inline);
  });

  it('lives 48 hours at most and no longer than continuity.ttl; then it is a 404 and requests name it as they did', async () => {
    const alice = storeOf('alice');
    const short = await uploaded(alice, Buffer.from('x'), 'text/plain', 3_600_000);
    expect(Date.parse(short.expirationTime) - Date.parse(short.createTime)).to.equal(3_600_000);
    const long = await uploaded(alice, Buffer.from('y'), 'text/plain', 30 * DAY);
    expect(Date.parse(long.expirationTime) - Date.parse(long.createTime)).to.equal(2 * DAY);
    const get = (name: string) => routeOf('GET', '/v1beta/files/{id}').handle({ params: { id: name.slice('files/'.length) }, query: new URLSearchParams(), body: undefined, headers: {}, origin: 'http://lip.test', responses: alice, retentionMs: DAY, maxFileBytes: 1 });
    expect(await get(long.name)).to.deep.include({ name: long.name, sizeBytes: '1' });
    const expired = await later(2 * DAY + 1, () => get(long.name).then(() => undefined, (e: unknown) => e));
    expect(expired).to.be.instanceOf(LipError).and.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', status: 404 });
    const body = { contents: [{ parts: [{ fileData: { fileUri: long.uri } }] }] };
    expect(await later(2 * DAY + 1, async () => resolveGeminiFiles(body, alice))).to.deep.equal(body);
  });

  it("another principal's file of the same URI is not theirs: a 404, and not put inline", async () => {
    const file = await uploaded(storeOf('alice'), Buffer.from('secret'), 'text/plain');
    const body = { contents: [{ parts: [{ fileData: { fileUri: file.uri } }] }] };
    expect(await resolveGeminiFiles(body, storeOf('bob'))).to.deep.equal(body);
  });
});
