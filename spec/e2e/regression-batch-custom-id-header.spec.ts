import { GoogleGenAI, type BatchJob } from '@google/genai';
import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { lastUserText, until } from '../helpers/batches.js';
import { testConfig } from '../helpers/config.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const ALICE = 'alice-key-0123456789ab';

/** Ids a header cannot carry as they are, and the X-Request-Id each request of theirs sends upstream after its batch's id and `/`. */
const IDS: readonly (readonly [string, string])[] = [
  ['plain-1', 'plain-1'],
  ['café-2', 'caf%C3%A9-2'],
  ['日本語-3', '%E6%97%A5%E6%9C%AC%E8%AA%9E-3'],
  ['emoji-😀-4', 'emoji-%F0%9F%98%80-4'],
  ['line\nbreak-5', 'line%0Abreak-5'],
  ['tab\there-6', 'tab%09here-6'],
  ['ctrl\u0001-7', 'ctrl%01-7'],
  ['100%-8', '100%25-8'],
];

/**
 * Found by probing: a request of a batch is named `{batch}/{custom_id}` (a Gemini file batch's
 * `{batch}/{key}`), and that name went upstream as its X-Request-Id. A custom_id no HTTP header
 * can carry (non-ASCII, an emoji, a line break, a control character) made the HTTP client refuse
 * the request (UND_ERR_INVALID_ARG) before it left, reported as "could not reach the upstream"
 * and counted by the circuit: a few such ids opened it for every client. The upstream X-Request-Id
 * is now the name percent-encoded where a header cannot carry it; every request is served.
 */
describe('regression: a batch custom_id no header can carry', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let chat: Emulator;
  const sentIds = (path: string) => chat.requests.filter((r) => r.path === path).map((r) => r.headers['x-request-id']);

  before(async () => {
    chat = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`, `
auth: { api_keys: [ { id: alice, key: "${ALICE}" } ] }
routing: { default_route: "oc:gpt-4o", circuit_breaker: { enabled: true, failure_threshold: 1 } }`));
  });
  after(async () => {
    await lip?.close();
    await chat?.close();
  });
  beforeEach(() => {
    chat.reset();
    chat.handler = (r) => (r.route === 'embeddings' ? { embedding: emulatedEmbedding(String(r.body.input)) } : { text: `echo: ${lastUserText(r)}` });
  });

  /** An OpenAI batch of one request per id, to `endpoint`, until it ended. */
  async function openaiBatch(endpoint: '/v1/chat/completions' | '/v1/embeddings', body: (id: string) => Record<string, unknown>): Promise<Batch> {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const lines = IDS.map(([id]) => JSON.stringify({ custom_id: id, method: 'POST', url: endpoint, body: body(id) })).join('\n');
    const input = await client.files.create({ file: await toFile(Buffer.from(lines), 'input.jsonl'), purpose: 'batch' });
    const created = await client.batches.create({ input_file_id: input.id, endpoint, completion_window: '24h' });
    let batch = created;
    await until(async () => (batch = await client.batches.retrieve(created.id)).status === 'completed', `batch ${created.id} completed`);
    return batch;
  }

  /** An ordinary request of another client afterwards: served (no circuit was opened). */
  async function servedAfterwards(): Promise<void> {
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: 'and another client' }] }),
    });
    expect(res.status, await res.text()).to.equal(200);
  }

  it('Chat Completions: every request is served, its X-Request-Id percent-encoded where a header cannot carry it', async () => {
    const batch = await openaiBatch('/v1/chat/completions', (id) => ({ model: 'oc:gpt-4o', messages: [{ role: 'user', content: `hi ${id}` }] }));
    expect(batch.request_counts).to.deep.include({ total: IDS.length, completed: IDS.length, failed: 0 });
    expect(sentIds('/v1/chat/completions').sort()).to.deep.equal(IDS.map(([, sent]) => `${batch.id}/${sent}`).sort());
    for (const [id, sent] of IDS) expect(decodeURIComponent(sent)).to.equal(id);
    await servedAfterwards();
  });

  it('embeddings: every request is served, its X-Request-Id percent-encoded', async () => {
    const batch = await openaiBatch('/v1/embeddings', (id) => ({ model: 'oc:text-embedding-3-small', input: `embed ${id}` }));
    expect(batch.request_counts).to.deep.include({ total: IDS.length, completed: IDS.length, failed: 0 });
    expect(sentIds('/v1/embeddings').sort()).to.deep.equal(IDS.map(([, sent]) => `${batch.id}/${sent}`).sort());
    await servedAfterwards();
  });

  it('a Gemini file batch: its keys are sent the same way', async () => {
    const ai = new GoogleGenAI({ apiKey: ALICE, httpOptions: { baseUrl: lip.url } });
    const lines = IDS.map(([key]) => JSON.stringify({ key, request: { contents: [{ role: 'user', parts: [{ text: `hi ${key}` }] }] } })).join('\n');
    const input = await ai.files.upload({ file: new Blob([lines]), config: { mimeType: 'application/jsonl' } });
    const created = await ai.batches.create({ model: 'oc:gpt-4o', src: input.name! });
    let job: BatchJob = created;
    await until(async () => (job = await ai.batches.get({ name: created.name! })).state !== 'JOB_STATE_RUNNING' && job.state !== 'JOB_STATE_PENDING', `batch ${created.name} ended`);
    expect(job.state).to.equal('JOB_STATE_SUCCEEDED');
    expect(sentIds('/v1/chat/completions').sort()).to.deep.equal(IDS.map(([, sent]) => `${created.name!.slice('batches/'.length)}/${sent}`).sort());
    await servedAfterwards();
  });
});
