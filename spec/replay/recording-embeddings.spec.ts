import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { createRuntime, withoutIngress } from '../../lib/core/runtime.js';
import type { ExchangeRecord } from '../../lib/replay/record-format.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, replayFile } from './recording-helpers.js';

/**
 * Embeddings requests are recorded and replayed like generations: over HTTP through the OpenAI
 * and Gemini SDKs, and as requests of a Batch API batch. A record keeps each attempt (its
 * canonical request as the call, its result or its failure), the candidates routing passed over,
 * and the result the client got; a replay runs the route's failover again against the recorded
 * attempts and compares what the client got (route-changed, output-changed, unrecorded).
 */
describe('recording: embeddings requests', function () {
  this.timeout(60_000);
  let chat: Emulator;
  let gemini: Emulator;
  let claude: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let lines: RecordLines;
  let openai: OpenAI;
  const SECRET = 'PROJECT-HERON-4410';
  const yaml = (aliases = '"claude:claude-x|chat:m|chat:n"') => testConfigYaml([
    `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
    `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gemini-key-0123456789 }`,
    `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: claude-key-0123456789 }`,
  ].join('\n'), [
    'routing: { default_route: "chat:n" }',
    `model_aliases: [{ pattern: "^embed$", replacement: ${aliases} }]`,
    `recording: { enabled: true, path: "${file}", redact_substrings: ["${SECRET}"] }`,
  ].join('\n'));
  const config = (aliases?: string) => configFrom(yaml(aliases));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-embed-'));
    file = join(dir, 'traffic.jsonl');
    lines = new RecordLines(file);
    [chat, gemini, claude] = await Promise.all([startOpenAIChatEmulator(), startGeminiEmulator(), startAnthropicEmulator()]);
    lip = await startLip(config());
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([chat?.close(), gemini?.close(), claude?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const emu of [chat, gemini, claude]) emu.reset();
  });

  /** The record of request `id`, once written. */
  async function recordOf(id: string): Promise<ExchangeRecord> {
    await until(() => lines.of(id).length > 0, `the record of ${id}`);
    return lines.of(id)[0]!;
  }

  it('keeps each attempt, the skipped candidate and the answer of a failover; the record replays as same', async () => {
    chat.enqueue({ status: 503, error: { message: 'overloaded' } }, { usage: { input: 9, output: 0 } });
    const inputs = ['alpha', 'beta gamma'];
    const res = await openai.embeddings.create({ model: 'embed', input: inputs, encoding_format: 'float' }).withResponse();
    expect(res.data.data.map((d) => d.embedding)).to.deep.equal(inputs.map((t) => emulatedEmbedding(t)));
    const record = await recordOf(res.response.headers.get('x-request-id')!);
    expect(record).to.deep.include({ frontend: 'openai-chat', selector: 'claude:claude-x|chat:m|chat:n', selector_source: 'alias', served: 'chat:n' });
    expect(record.request).to.deep.include({ method: 'POST', path: '/v1/embeddings', body: { model: 'embed', input: inputs, encoding_format: 'float' } });
    expect(record.a_leg_id).to.equal(res.response.headers.get('x-lip-a-leg-id'));
    expect(record.skipped).to.deep.equal([{ candidate_key: 'claude:claude-x', reason: 'a anthropic backend cannot embed' }]);
    expect(record.attempts.map((a) => [a.seq, a.candidate_key, a.role, a.outcome, a.reason, a.http_status, a.retryable])).to.deep.equal([
      [1, 'chat:m', 'tried', 'failure', 'LIP_ERR_UPSTREAM_STATUS', 503, true],
      [2, 'chat:n', 'served', 'success', null, null, null],
    ]);
    const [failed, served] = record.attempts;
    expect(failed!.embedding).to.equal(undefined);
    expect(failed!.call).to.deep.include({ model: 'embed', inputs });
    expect(served!.events).to.deep.equal([]);
    expect(served!.first_output_ms).to.equal(served!.finished_ms);
    expect(served!.embedding).to.deep.equal({ vectors: inputs.map((t) => emulatedEmbedding(t)), inputTokens: 9, model: 'n' });
    expect(record.client).to.deep.include({ status: 200, events: [], error: null, embedding: served!.embedding });
    expect(record.client.headers['x-lip-backend']).to.equal('chat:n');
    expect(await replayExchange(record, config())).to.deep.include({ state: 'same', served: { recorded: 'chat:n', replayed: 'chat:n' } });
  });

  it('a Gemini client\'s embedContent through a gemini backend replays as same; a failure the client got replays as that failure', async () => {
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const ok = await google.models.embedContent({ model: 'gem:text-embedding-004', contents: 'one text', config: { outputDimensionality: 3 } });
    expect(ok.embeddings![0]!.values).to.deep.equal(emulatedEmbedding('one text', 3));
    await until(() => lines.all().some((r) => r.frontend === 'gemini'), 'the gemini record');
    const record = lines.all().find((r) => r.frontend === 'gemini')!;
    expect(record.request.path).to.equal('/v1beta/models/gem:text-embedding-004:batchEmbedContents'); // the SDK's embedContent
    expect(record.attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['gem:text-embedding-004', 'success']]);
    expect(record.client.embedding!.vectors).to.deep.equal([emulatedEmbedding('one text', 3)]);
    expect((await replayExchange(record, config())).state).to.equal('same');

    chat.enqueue({ status: 400, error: { message: 'input too long' } });
    const refused = await openai.embeddings.create({ model: 'chat:m', input: 'x' }).withResponse().then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(refused?.status).to.equal(400);
    const failed = await recordOf(refused!.headers!.get('x-request-id')!);
    expect(failed.served).to.equal(null);
    expect(failed.client).to.deep.include({ status: 400, error: { code: 'LIP_ERR_UPSTREAM_STATUS' } });
    expect(failed.client.embedding).to.equal(undefined);
    expect(failed.attempts.map((a) => [a.outcome, a.http_status, a.retryable, a.message])).to.deep.equal([['failure', 400, false, failed.attempts[0]!.message]]);
    expect(failed.attempts[0]!.message).to.contain('input too long');
    expect(await replayExchange(failed, config())).to.deep.include({ state: 'same', served: { recorded: null, replayed: null } });
  });

  it('what-if: another route is route-changed or unrecorded; a changed answer is output-changed', async () => {
    chat.enqueue({ status: 503, error: { message: 'overloaded' } }, { usage: { input: 4, output: 0 } });
    const res = await openai.embeddings.create({ model: 'embed', input: 'what if', encoding_format: 'float' }).withResponse();
    const record = await recordOf(res.response.headers.get('x-request-id')!);
    // The recorded failure of chat:m is the answer now: no candidate serves.
    const only = await replayExchange(record, config('"chat:m"'));
    expect(only).to.deep.include({ state: 'route-changed', served: { recorded: 'chat:n', replayed: null } });
    // chat:n first: its recorded answer, at once; chat:m is never tried.
    expect((await replayExchange(record, config('"chat:n|chat:m"'))).state).to.equal('same');
    // A candidate the recording never attempted is not guessed.
    const elsewhere = await replayExchange(record, config('"gem:text-embedding-004"'));
    expect(elsewhere).to.deep.include({ state: 'unrecorded', unrecorded: ['gem:text-embedding-004'] });
    // The client got other vectors than the served attempt gave: the replay names the difference.
    const vectors = record.client.embedding!.vectors.map((v) => v.map((x, i) => (i === 0 ? x + 1 : x)));
    const changed: ExchangeRecord = { ...record, client: { ...record.client, embedding: { ...record.client.embedding!, vectors } } };
    const result = await replayExchange(changed, config());
    expect(result.state).to.equal('output-changed');
    expect(result.difference!.fields.map((f) => f.path)).to.deep.equal(['digest']);
  });

  it('live: the configured backends answer again (same), and one that no longer answers in time is an error', async () => {
    const res = await openai.embeddings.create({ model: 'chat:n', input: 'live text', encoding_format: 'float' }).withResponse();
    const record = await recordOf(res.response.headers.get('x-request-id')!);
    const runtime = createRuntime(withoutIngress({ ...config(), recording: { ...config().recording, enabled: false } }));
    try {
      expect(await replayExchange(record, config(), { live: { backends: runtime.backends, timeoutMs: 10_000 } })).to.deep.include({ state: 'same', served: { recorded: 'chat:n', replayed: 'chat:n' } });
      chat.enqueue({ fault: { stall: 'before_headers' } });
      const stalled = await replayExchange(record, config(), { live: { backends: runtime.backends, timeoutMs: 300 } });
      expect(stalled).to.deep.include({ state: 'error', error: 'no answer within 300 ms' });
      await until(() => chat.closes.length > 0, 'the stalled upstream call aborted');
    } finally {
      await runtime.close();
    }
  });

  it('redacts configured substrings and credential shapes in the request and the calls; the vectors are written as they are', async () => {
    const res = await openai.embeddings.create({ model: 'chat:n', input: [`about ${SECRET}`, 'key sk-live0123456789abcdef'], encoding_format: 'float' }).withResponse();
    const id = res.response.headers.get('x-request-id')!;
    await recordOf(id);
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes(id))!;
    expect(line).not.to.contain(SECRET);
    expect(line).not.to.contain('sk-live0123456789abcdef');
    expect(line).to.contain('[REDACTED]');
    expect(line).to.contain(JSON.stringify(emulatedEmbedding(`about ${SECRET}`)).slice(1, -1));
    // The upstream got the text itself: redaction is the recording's alone.
    expect(chat.requests[0]!.body.input).to.deep.equal([`about ${SECRET}`, 'key sk-live0123456789abcdef']);
  });

  it('records each embeddings request of a Batch API batch as the request it is, and it replays as same', async () => {
    const lineOf = (customId: string, input: string) => JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: { model: 'chat:n', input } });
    const input = await openai.files.create({ file: await toFile(Buffer.from(`${lineOf('e1', 'first')}\n${lineOf('e2', 'second')}\n`), 'input.jsonl'), purpose: 'batch' });
    const batch = await openai.batches.create({ input_file_id: input.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    await until(async () => (await openai.batches.retrieve(batch.id)).status === 'completed', `batch ${batch.id} to complete`);
    const ids = [`${batch.id}/e1`, `${batch.id}/e2`];
    const records = await Promise.all(ids.map(recordOf));
    expect(records.map((r) => [r.request.path, r.served, r.client.status])).to.deep.equal([['/v1/embeddings', 'chat:n', 200], ['/v1/embeddings', 'chat:n', 200]]);
    expect(records.map((r) => r.client.embedding!.vectors)).to.deep.equal([[emulatedEmbedding('first')], [emulatedEmbedding('second')]]);
    for (const record of records) expect((await replayExchange(record, config())).state, record.request_id).to.equal('same');
  });

  it('lip replay runs the whole recording (HTTP and batch, OpenAI and Gemini, answers and failures): every exchange same', async () => {
    const written = lines.all().length;
    expect(written).to.be.greaterThan(6);
    const { code, report, stderr } = await replayFile(file, yaml());
    expect(stderr).to.equal('');
    expect(report.exchanges.map((e) => e.state)).to.deep.equal(new Array(written).fill('same'));
    expect(code).to.equal(0);
  });
});
