import { expect } from 'chai';
import { request } from 'node:http';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

type Json = Record<string, any>;

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const ALICE = 'alice-key-0123456789ab';
const BOB = 'bob-key-0123456789abcd';
const CAROL = 'carol-key-0123456789ab';
const START = { 'content-type': 'application/json', 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-type': 'text/plain' };

/**
 * Regression: Google's own curl recipe for the Files API (the cookbook's file-api sample.sh)
 * starts a resumable upload with its key (`?key=` or `x-goog-api-key`), then posts the bytes to
 * the upload URL it was given without one: at Google the upload URL authorizes its chunks. lip
 * asked a key of every chunk, so the recipe ended in a 401 "missing API key". The upload's random
 * `upload_id` now authorizes the requests naming it (its chunks, query and cancel) as the caller
 * who started it, counted against that caller's key; a request that carries a key is that key's
 * (another caller's is a 404, a wrong one a 401), and the URL never echoes the key.
 */
describe('regression: a Gemini upload URL takes its chunks without a key', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(STUB, `logging: { access_log: true, include_raw_path: true }
auth:
  api_keys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }
    - { id: carol, key: "${CAROL}", requests_per_minute: 4 }`));
  });
  after(() => lip.close());

  const post = (path: string, headers: Record<string, string>, body: string) => httpRequest(`${lip.url}${path}`, { method: 'POST', headers, body });
  /** Starts an upload of `length` bytes with `key` (in the query, or in x-goog-api-key): the path and query of its upload URL. */
  async function start(length: number, how: 'query' | 'header' = 'query', key = ALICE): Promise<string> {
    const started = how === 'query'
      ? await post(`/upload/v1beta/files?key=${key}`, { ...START, 'x-goog-upload-header-content-length': String(length) }, '{"file": {"display_name": "TEXT"}}')
      : await post('/upload/v1beta/files', { ...START, 'x-goog-api-key': key, 'x-goog-upload-header-content-length': String(length) }, '{"file": {"display_name": "TEXT"}}');
    expect(started.status).to.equal(200);
    const url = new URL(String(started.headers['x-goog-upload-url']));
    expect(url.search).to.not.contain(key);
    expect([...url.searchParams.keys()]).to.deep.equal(['upload_id', 'upload_protocol']);
    return `${url.pathname}${url.search}`;
  }

  it("the cookbook's recipe: a start with the key (in the query or a header), then its chunks without one, finalized as the caller's file", async () => {
    for (const how of ['query', 'header'] as const) {
      const at = await start(10, how);
      const first = await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, '01234');
      expect([first.status, first.headers['x-goog-upload-size-received']], how).to.deep.equal([200, '5']);
      const query = await post(at, { 'x-goog-upload-command': 'query' }, '');
      expect(query.headers['x-goog-upload-size-received']).to.equal('5');
      const last = await post(at, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '5' }, '56789');
      expect(last.status, last.body).to.equal(200);
      const file = JSON.parse(last.body).file as Json;
      expect(file).to.include({ displayName: 'TEXT', mimeType: 'text/plain', sizeBytes: '10' });
      // Alice's file: her key reads it; once finalized, the upload URL authorizes nothing.
      const got = await httpRequest(`${lip.url}/v1beta/${file.name}`, { method: 'GET', headers: { 'x-goog-api-key': ALICE } });
      expect(got.status).to.equal(200);
      expect((await post(at, { 'x-goog-upload-command': 'query' }, '')).status).to.equal(401);
    }
    // A cancel without a key ends the upload, and its URL with it.
    const at = await start(3);
    expect((await post(at, { 'x-goog-upload-command': 'cancel' }, '')).headers['x-goog-upload-status']).to.equal('cancelled');
    expect((await post(at, { 'x-goog-upload-command': 'query' }, '')).status).to.equal(401);
  });

  it('a chunk with a key is that key\'s: another caller\'s is a 404, a wrong key a 401; without a key, an upload_id of no upload is a 401', async () => {
    const at = await start(2);
    const bob = await post(at, { 'x-goog-api-key': BOB, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'hi');
    expect(bob.status).to.equal(404);
    const wrong = await post(`${at}&key=wrong-key-0123456789`, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'hi');
    expect([wrong.status, JSON.parse(wrong.body).error.status]).to.deep.equal([401, 'UNAUTHENTICATED']);
    for (const id of ['abcdefabcdefabcdefabcdefabcdef12', 'short']) {
      const unknown = await post(`/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`, { 'x-goog-upload-command': 'upload, finalize' }, 'hi');
      expect([unknown.status, JSON.parse(unknown.body).error.message], id).to.deep.equal([401, 'missing API key: send x-goog-api-key: <key> (or ?key=<key>)']);
    }
    // A start is no chunk: it still needs a key.
    expect((await post('/upload/v1beta/files', START, '{}')).status).to.equal(401);
    const mine = await post(at, { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, 'hi');
    expect(JSON.parse(mine.body).file.sizeBytes).to.equal('2');
  });

  it("a chunk without a key counts as its starter's: the access log names the key, its requests per minute count it", async () => {
    // Carol's key starts 4 requests a minute: the start, two chunks without a key, a query; the fifth is refused, with her key or without.
    const at = await start(4, 'header', CAROL);
    await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, 'ab');
    const line = lip.logs.filter((l) => l.message === 'request' && l.route === '/upload/v1beta/files').at(-1)!;
    expect(line).to.deep.include({ status: 200, principal: 'carol', key_id: 'carol' });
    // The upload_id authorizes: it is masked where the path is logged, as a key is.
    expect(line.path).to.equal('/upload/v1beta/files?upload_id=***&upload_protocol=resumable');
    await post(at, { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '2' }, 'cd');
    expect((await post(at, { 'x-goog-upload-command': 'query' }, '')).status).to.equal(200);
    expect((await post(at, { 'x-goog-upload-command': 'finalize' }, '')).status).to.equal(429);
    const limited = await httpRequest(`${lip.url}/v1beta/files`, { method: 'GET', headers: { 'x-goog-api-key': CAROL } });
    expect(limited.status).to.equal(429);
  });

  it('a chunk without a key that asks Expect: 100-continue is told to go on', async () => {
    const bob = await httpRequest(`${lip.url}/upload/v1beta/files`, { method: 'POST', headers: { ...START, 'x-goog-api-key': BOB, 'x-goog-upload-header-content-length': '2' }, body: '{}' });
    const url = new URL(String(bob.headers['x-goog-upload-url']));
    const answer = await new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
      let continued = false;
      const req = request(url, { method: 'POST', headers: { expect: '100-continue', 'content-length': '2', 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ continued, status: res.statusCode!, body }));
      });
      req.on('continue', () => {
        continued = true;
        req.end('hi');
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.continued).to.equal(true);
    expect([answer.status, JSON.parse(answer.body).file.sizeBytes]).to.deep.equal([200, '2']);
  });
});
