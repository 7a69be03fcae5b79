import { ApiError, GoogleGenAI, type BatchJob } from '@google/genai';
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../helpers/config.js';
import { lastUserText, until } from '../helpers/batches.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const ALICE = 'alice-key-0123456789ab';
const BOB = 'bob-key-0123456789abcd';
const DONE = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'];
const ask = (text: string, extra: Record<string, unknown> = {}) => ({ contents: [{ role: 'user', parts: [{ text }] }], ...extra });
/** The text of an inlined response (a plain object in the batch, not the SDK's response class). */
const textOf = (response: { candidates?: { content?: { parts?: { text?: string }[] } }[] } | undefined) => response?.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('');

/**
 * Gemini's Batch API (`ai.batches` of `@google/genai`) against a real lip: a batch of inlined
 * generateContent requests run by lip on any backend (OpenAI Chat and Anthropic upstreams here),
 * polled as an operation until it succeeded, its responses inline in request order with their
 * metadata (a google.rpc.Status error entry for a request that failed), listed with the SDK's pager, cancelled
 * (the running upstream requests closed), deleted; another key's batch is a 404.
 */
describe('e2e: Gemini batches through @google/genai', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let chat: Emulator;
  let claude: Emulator;
  const client = (key = ALICE) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: lip.url } });
  const ended = async (ai: GoogleGenAI, name: string): Promise<BatchJob> => {
    let job = await ai.batches.get({ name });
    await until(async () => DONE.includes(String((job = await ai.batches.get({ name })).state)), `batch ${name} ended`);
    return job;
  };

  before(async () => {
    [chat, claude] = await Promise.all([startOpenAIChatEmulator(), startAnthropicEmulator()]);
    lip = await startLip(testConfig(`
  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }
  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }
`, `server: { host: 127.0.0.1, port: 0, batch_concurrency: 2 }
auth:
  api_keys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }
    - { id: carol, key: carol-key-0123456789ab }`));
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), claude?.close()]);
  });
  beforeEach(() => {
    chat.reset();
    claude.reset();
    chat.handler = (r) => ({ text: `echo: ${lastUserText(r)}`, usage: { input: 5, output: 2 } });
    claude.handler = (r) => ({ text: `claude: ${lastUserText(r)}`, usage: { input: 7, output: 3 } });
  });

  it('runs inlined requests on any backend: done with each response (or error) inline, in order, with its metadata', async () => {
    const ai = client();
    const job = await ai.batches.create({
      model: 'oc:gpt-4o',
      src: [
        { ...ask('Name a colour.'), metadata: { key: 'colour' } },
        { ...ask('Too hot.'), config: { temperature: 9 }, metadata: { key: 'hot' } },
        { ...ask('Name a fruit.', { config: { systemInstruction: 'Be brief.' } }) },
      ],
      config: { displayName: 'nightly' },
    });
    expect(job).to.deep.include({ displayName: 'nightly', state: 'JOB_STATE_RUNNING', model: 'models/oc:gpt-4o' });
    expect(job.name).to.match(/^batches\/[A-Za-z0-9]{24}$/);
    const done = await ended(ai, job.name!);
    expect(done.state).to.equal('JOB_STATE_SUCCEEDED');
    expect(Date.parse(done.endTime!)).to.be.at.least(Date.parse(done.createTime!));
    const responses = done.dest!.inlinedResponses!;
    expect(responses.map((r) => r.metadata)).to.deep.equal([{ key: 'colour' }, { key: 'hot' }, undefined]);
    expect(textOf(responses[0]!.response)).to.equal('echo: Name a colour.');
    expect(responses[0]!.response!.usageMetadata).to.deep.include({ promptTokenCount: 5, candidatesTokenCount: 2 });
    expect(responses[1]!.error).to.deep.include({ code: 3, message: 'generationConfig.temperature: must be a number between 0 and 2' });
    expect(textOf(responses[2]!.response)).to.equal('echo: Name a fruit.');
    // Two went upstream, translated to Chat Completions (the system instruction too).
    expect(chat.requests.map((r) => lastUserText(r)).sort()).to.deep.equal(['Name a colour.', 'Name a fruit.']);
    const fruit = chat.requests.find((r) => lastUserText(r) === 'Name a fruit.')!.body;
    expect(JSON.stringify(fruit.messages[0])).to.contain('Be brief.');

    await ai.batches.delete({ name: job.name! });
    const gone = await ai.batches.get({ name: job.name! }).then(() => undefined, (e: unknown) => e);
    expect(gone).to.be.instanceOf(ApiError);
    expect((gone as ApiError).status).to.equal(404);
  });

  it('an Anthropic backend serves a Gemini batch; the raw REST create takes snake_case', async () => {
    const res = await fetch(`${lip.url}/v1beta/models/an:claude-sonnet-4-6:batchGenerateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: { display_name: 'raw', input_config: { requests: { requests: [{ request: ask('Hello.'), metadata: { key: 'h' } }] } } } }),
    });
    expect(res.status).to.equal(200);
    const made = await res.json() as { name: string; metadata: Record<string, unknown> };
    expect(made.metadata).to.include({ '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch', displayName: 'raw', state: 'BATCH_STATE_RUNNING', model: 'models/an:claude-sonnet-4-6' });
    const done = await ended(client(), made.name);
    expect(done.dest!.inlinedResponses!.map((r) => [r.metadata, textOf(r.response)])).to.deep.equal([[{ key: 'h' }, 'claude: Hello.']]);
    expect(claude.requests.map((r) => [r.path, r.body.model])).to.deep.equal([['/v1/messages', 'claude-sonnet-4-6']]);
  });

  it('a cancel ends the running upstream requests; the batch is cancelled, each entry a CANCELLED (1) error', async () => {
    chat.handler = () => ({ fault: { stall: 'before_headers' } });
    const ai = client();
    const job = await ai.batches.create({ model: 'oc:gpt-4o', src: [1, 2, 3].map((i) => ask(`Stall ${i}.`)) });
    await until(() => chat.requests.length === 2, 'two requests upstream');
    await ai.batches.cancel({ name: job.name! });
    await until(() => chat.closes.length === 2, 'the running upstream requests closed');
    const done = await ended(ai, job.name!);
    expect(done.state).to.equal('JOB_STATE_CANCELLED');
    expect(done.dest!.inlinedResponses!.map((r) => r.error?.code)).to.deep.equal([1, 1, 1]);
    expect(chat.requests).to.have.length(2);
  });

  it("lists the caller's batches with the SDK's pager; another key's batch is a 404; an input file is refused", async () => {
    const ai = client();
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.unshift((await ai.batches.create({ model: 'oc:gpt-4o', src: [ask(`List ${i}.`)] })).name!);
    for (const name of names) await ended(ai, name);
    const listed: string[] = [];
    for await (const job of await ai.batches.list({ config: { pageSize: 2 } })) listed.push(job.name!);
    expect(listed.slice(0, 3)).to.deep.equal(names);
    const bob = client(BOB);
    const foreign = await bob.batches.get({ name: names[0]! }).then(() => undefined, (e: unknown) => e);
    expect((foreign as ApiError).status).to.equal(404);
    const bobs: string[] = [];
    for await (const job of await bob.batches.list({ config: { pageSize: 2 } })) bobs.push(job.name!);
    expect(bobs).to.deep.equal([]);
    const file = await ai.batches.create({ model: 'oc:gpt-4o', src: 'files/abc' }).then(() => undefined, (e: unknown) => e);
    expect((file as ApiError).status).to.equal(404);
    expect((file as ApiError).message).to.contain("File not found: 'files/abc'");
  });

  it("pages only Gemini's batches when the caller has batches of other protocols (found by the batches probe: a nextPageToken led to an empty page)", async () => {
    const carol = 'carol-key-0123456789ab';
    const anthropic = () => fetch(`${lip.url}/v1/messages/batches`, {
      method: 'POST', headers: { 'x-api-key': carol, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [{ custom_id: 'a', params: { model: 'oc:gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] } }] }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const ai = client(carol);
    // Newest first: a Gemini batch, an Anthropic one, a Gemini one, an Anthropic one.
    await anthropic();
    const older = (await ai.batches.create({ model: 'oc:gpt-4o', src: [ask('Older.')] })).name!;
    await anthropic();
    const newer = (await ai.batches.create({ model: 'oc:gpt-4o', src: [ask('Newer.')] })).name!;
    const page = async (token?: string) => (await (await fetch(`${lip.url}/v1beta/batches?pageSize=1${token === undefined ? '' : `&pageToken=${token}`}`, { headers: { 'x-goog-api-key': carol } })).json()) as { operations: { name: string }[]; nextPageToken?: string };
    const first = await page();
    expect(first.operations.map((o) => o.name)).to.deep.equal([newer]);
    const second = await page(first.nextPageToken);
    expect(second.operations.map((o) => o.name)).to.deep.equal([older]);
    expect(second.nextPageToken).to.equal(undefined);
  });

  it('runs a batch of embeddings (batches.createEmbeddings) on an OpenAI backend: the vectors inline, in order, as the SDK reads them', async () => {
    const ai = client();
    const created = await ai.batches.createEmbeddings({
      model: 'oc:text-embedding-3-small',
      src: { inlinedRequests: { contents: ['alpha', 'beta gamma'], config: { outputDimensionality: 3 } } },
      config: { displayName: 'vectors' },
    });
    expect(created.name).to.match(/^batches\//);
    const job = await ended(ai, created.name!);
    expect(job.state).to.equal('JOB_STATE_SUCCEEDED');
    const vectors = job.dest?.inlinedEmbedContentResponses?.map((r) => r.response?.embedding?.values);
    expect(vectors).to.deep.equal(['alpha', 'beta gamma'].map((t) => emulatedEmbedding(t, 3)));
    expect(chat.requests.map((r) => [r.path, r.body.dimensions])).to.deep.equal([['/v1/embeddings', 3], ['/v1/embeddings', 3]]);
    const raw = await fetch(`${lip.url}/v1beta/${created.name!}`, { headers: { 'x-goog-api-key': ALICE } }).then((r) => r.json()) as Record<string, any>;
    expect(raw.metadata['@type']).to.equal('type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatch');
    expect(raw.response['@type']).to.equal('type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatchOutput');
  });

  it('runs the requests of an uploaded input file: done with a responses file of keyed lines, downloaded through the SDK', async () => {
    const ai = client();
    const lines = [
      { key: 'fox', request: ask('Say fox.') },
      { key: 'owl', request: { ...ask('Say owl.'), generationConfig: { temperature: 0.2 } } },
      { key: 'bad', request: { contents: 'not contents' } },
    ].map((l) => JSON.stringify(l)).join('\n');
    const input = await ai.files.upload({ file: new Blob([lines]), config: { mimeType: 'application/jsonl', displayName: 'nightly-input' } });
    const created = await ai.batches.create({ model: 'an:claude-sonnet-4-6', src: input.name!, config: { displayName: 'from a file' } });
    expect(created.src).to.equal(undefined);
    const job = await ended(ai, created.name!);
    expect(job.state).to.equal('JOB_STATE_SUCCEEDED');
    expect(job.dest?.fileName).to.equal(`files/batch-${created.name!.slice('batches/'.length)}`);
    expect(job.dest?.inlinedResponses).to.equal(undefined);
    const dir = mkdtempSync(join(tmpdir(), 'lip-gemini-batch-'));
    try {
      const downloaded = join(dir, 'responses.jsonl');
      await ai.files.download({ file: job.dest!.fileName!, downloadPath: downloaded });
      await until(async () => existsSync(downloaded) && readFileSync(downloaded, 'utf8').split('\n').filter(Boolean).length === 3, 'the download written');
      const out = readFileSync(downloaded, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      expect(out.map((l) => l.key)).to.deep.equal(['fox', 'owl', 'bad']);
      expect(textOf(out[0]!.response)).to.equal('claude: Say fox.');
      expect(textOf(out[1]!.response)).to.equal('claude: Say owl.');
      expect(out[2]!.error).to.include({ code: 3 });
      expect(claude.requests.map((r) => r.body.temperature)).to.deep.equal([undefined, 0.2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Another key can download neither the responses nor use the input.
    const bob = client(BOB);
    const raw = await fetch(`${lip.url}/v1beta/${job.dest!.fileName!}:download?alt=media`, { headers: { 'x-goog-api-key': BOB } });
    expect(raw.status).to.equal(404);
    const foreign = await bob.batches.create({ model: 'oc:gpt-4o', src: input.name! }).then(() => undefined, (e: unknown) => e);
    expect((foreign as ApiError).status).to.equal(404);
    // A file that is not JSON lines is refused with the line that is not.
    const notLines = await ai.files.upload({ file: new Blob(['{"key": "a", "request": {}}\nplain text']), config: { mimeType: 'text/plain' } });
    const refused = await ai.batches.create({ model: 'oc:gpt-4o', src: notLines.name! }).then(() => undefined, (e: unknown) => e);
    expect((refused as ApiError).status).to.equal(400);
    expect((refused as ApiError).message).to.contain('line 2: not JSON');
  });
});
