import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLip, serveLip, type LipProcess } from '../helpers/spawn-lip.js';

type Json = Record<string, any>;

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Json;
}

const OPENAI = { authorization: 'Bearer x' };
const GEMINI = { 'x-goog-api-key': 'x' };
const ANTHROPIC = { 'x-api-key': 'x', 'anthropic-version': '2023-06-01' };

/** Sends `call`; once its answer has arrived whole, and before anything else runs, SIGKILLs `lip`. */
function answeredThenKilled(lip: LipProcess & { url: string }, call: Call): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const json = typeof call.body === 'object';
    const req = request(`${lip.url}${call.path}`, { method: call.method, agent: false, headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...call.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        lip.proc.kill('SIGKILL');
        resolve({ status: res.statusCode!, body: text === '' ? {} : JSON.parse(text) as Json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(json ? JSON.stringify(call.body) : call.body);
  });
}

/**
 * A write lip answered with a 200 is in its database: `kill -9` right after the answer arrives,
 * a restart on the same SQLite file, and it reads back (a deletion stays deleted). The SQLite
 * store writes behind (a batch 25 ms after its first record); the answer to a create, change or
 * delete waits for the write that holds it (ContinuityStore.persisted), as it does for Redis.
 */
describe('lip serve (sqlite): an acknowledged write survives kill -9 (spawned)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  let lip: (LipProcess & { url: string }) | undefined;

  const serve = async () => {
    lip = await serveLip(['--config', config]);
    return lip;
  };
  /** `call` answered, the process killed at once, a fresh one on the same file; its answer to `read`. */
  const afterKill = async (call: Call, read: (created: Json) => Call): Promise<{ created: Json; read: { status: number; body: Json } }> => {
    const first = await serve();
    const created = await answeredThenKilled(first, call);
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    await first.exited;
    const again = await serve();
    const r = read(created.body);
    const res = await fetch(`${again.url}${r.path}`, { method: r.method, headers: r.headers });
    const text = await res.text();
    return { created: created.body, read: { status: res.status, body: text === '' ? {} : JSON.parse(text) as Json } };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-kill-ack-'));
    config = join(dir, 'lip.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0 }
logging: { access_log: false }
continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }
routing: { default_route: "stub:m" }
backends:
  - { id: stub, kind: localstub, models: [m], text: "hello" }
`);
  });
  afterEach(async () => {
    await killLip(lip);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stored response (Responses, store: true), and then its deletion', async () => {
    const stored = await afterKill(
      { method: 'POST', path: '/v1/responses', headers: OPENAI, body: { model: 'm', input: 'hi', store: true } },
      (r) => ({ method: 'GET', path: `/v1/responses/${r.id}`, headers: OPENAI }),
    );
    expect(stored.read.status, JSON.stringify(stored.read.body)).to.equal(200);
    expect(stored.read.body).to.include({ id: stored.created.id, status: 'completed' });
    await killLip(lip);
    const deleted = await afterKill(
      { method: 'DELETE', path: `/v1/responses/${stored.created.id}`, headers: OPENAI },
      () => ({ method: 'GET', path: `/v1/responses/${stored.created.id}`, headers: OPENAI }),
    );
    expect(deleted.created).to.include({ id: stored.created.id, deleted: true });
    expect(deleted.read.status).to.equal(404);
  });

  it('a stored chat completion, listed', async () => {
    const first = await serve();
    const created = await answeredThenKilled(first, { method: 'POST', path: '/v1/chat/completions', headers: OPENAI, body: { model: 'm', store: true, messages: [{ role: 'user', content: 'hi' }] } });
    expect(created.status).to.equal(200);
    await first.exited;
    const again = await serve();
    expect((await fetch(`${again.url}/v1/chat/completions/${created.body.id}`, { headers: OPENAI })).status).to.equal(200);
    const listed = await (await fetch(`${again.url}/v1/chat/completions`, { headers: OPENAI })).json() as Json;
    expect(listed.data.map((c: Json) => c.id)).to.deep.equal([created.body.id]);
  });

  it('a stored response streamed: the stream ends once it is written', async () => {
    const first = await serve();
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${first.url}/v1/responses`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...OPENAI } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => {
          first.proc.kill('SIGKILL');
          resolve(body);
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'm', input: 'hi', store: true, stream: true }));
    });
    const id = /"id":"(resp_[^"]+)"/.exec(text)?.[1];
    expect(id, text).to.be.a('string');
    await first.exited;
    const again = await serve();
    expect((await fetch(`${again.url}/v1/responses/${id}`, { headers: OPENAI })).status).to.equal(200);
  });

  it('an OpenAI file', async () => {
    const b = '----lip';
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
    const form = `--${b}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n${line}\n\r\n--${b}--\r\n`;
    const { created, read } = await afterKill(
      { method: 'POST', path: '/v1/files', headers: { ...OPENAI, 'content-type': `multipart/form-data; boundary=${b}` }, body: form },
      (f) => ({ method: 'GET', path: `/v1/files/${f.id}`, headers: OPENAI }),
    );
    expect(read.status, JSON.stringify(read.body)).to.equal(200);
    expect(read.body).to.include({ id: created.id, filename: 'a.jsonl' });
  });

  it('a Gemini cachedContent', async () => {
    const { created, read } = await afterKill(
      { method: 'POST', path: '/v1beta/cachedContents', headers: GEMINI, body: { model: 'models/m', contents: [{ role: 'user', parts: [{ text: 'context' }] }], ttl: '600s' } },
      (c) => ({ method: 'GET', path: `/v1beta/${c.name}`, headers: GEMINI }),
    );
    expect(read.status, JSON.stringify(read.body)).to.equal(200);
    expect(read.body).to.include({ name: created.name });
  });

  it('an Anthropic message batch', async () => {
    const requests = Array.from({ length: 3 }, (_, i) => ({ custom_id: `r${i}`, params: { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } }));
    const { created, read } = await afterKill(
      { method: 'POST', path: '/v1/messages/batches', headers: ANTHROPIC, body: { requests } },
      (m) => ({ method: 'GET', path: `/v1/messages/batches/${m.id}`, headers: ANTHROPIC }),
    );
    expect(read.status, JSON.stringify(read.body)).to.equal(200);
    expect(read.body).to.include({ id: created.id, type: 'message_batch' });
  });

  it('a Responses conversation', async () => {
    const { created, read } = await afterKill(
      { method: 'POST', path: '/v1/conversations', headers: OPENAI, body: { items: [{ type: 'message', role: 'user', content: 'hi' }] } },
      (c) => ({ method: 'GET', path: `/v1/conversations/${c.id}/items`, headers: OPENAI }),
    );
    expect(read.status, JSON.stringify(read.body)).to.equal(200);
    expect(created.id).to.match(/^conv_/);
    expect(read.body.data).to.have.length(1);
  });
});
