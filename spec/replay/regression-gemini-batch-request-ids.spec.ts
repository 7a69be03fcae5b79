import { GoogleGenAI, type BatchJob } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, replayFile } from './recording-helpers.js';

const DONE = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'];
const ask = (text: string, metadata?: Record<string, string>) => ({ contents: [{ role: 'user', parts: [{ text }] }], ...(metadata ? { metadata } : {}) });
const textOf = (response: { candidates?: { content?: { parts?: { text?: string }[] } }[] } | undefined) => response?.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('');
const userText = (body: unknown) => (body as { contents: { parts: { text: string }[] }[] } | null)?.contents[0]?.parts[0]?.text;

/**
 * Regression (found by probing replay): a Gemini batch's inlined requests were named by their
 * metadata (the custom id of other protocols), so every request without metadata (the SDK's
 * default) was `{batch}/null`, and requests with equal metadata shared a name too. The recorder
 * gathers an exchange by request id: of three such requests, one record held a request and two
 * held none (body null, no attempts) and replayed as route-changed. Each inlined request is now
 * named by its position in the batch (`{batch}/1`, `{batch}/2`, ...); its metadata still comes
 * back with its response, as Gemini gives it.
 */
describe('replay: the inlined requests of a Gemini batch are recorded apart', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let lines: RecordLines;
  let ai: GoogleGenAI;
  const yaml = () => testConfigYaml('  - { id: ls, kind: localstub, models: [m], echo: true }', [
    'server: { host: 127.0.0.1, port: 0, batch_concurrency: 1 }',
    'routing: { default_route: "ls:m" }',
    `recording: { enabled: true, path: "${file}" }`,
  ].join('\n'));
  const ended = async (name: string): Promise<BatchJob> => {
    let job = await ai.batches.get({ name });
    await until(async () => DONE.includes(String((job = await ai.batches.get({ name })).state)), `batch ${name} ended`);
    return job;
  };
  /** The records of batch `name`'s requests, once all `count` are written, in their names' order. */
  const recordsOf = async (name: string, count: number) => {
    const id = name.slice('batches/'.length);
    const mine = () => lines.all().filter((r) => r.request_id.startsWith(`${id}/`));
    await until(() => mine().length >= count, `the ${count} records of ${name}`);
    return [...mine()].sort((a, b) => a.request_id.localeCompare(b.request_id));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-gemini-batch-'));
    file = join(dir, 'traffic.jsonl');
    lines = new RecordLines(file);
    lip = await startLip(configFrom(yaml()));
    ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three requests without metadata: three records, each its own request and answer, each replays as same', async () => {
    const job = await ai.batches.create({ model: 'ls:m', src: [ask('G1'), ask('G2'), ask('G3')] });
    const done = await ended(job.name!);
    expect(done.state).to.equal('JOB_STATE_SUCCEEDED');
    const responses = done.dest!.inlinedResponses!;
    expect(responses.map((r) => [r.metadata, textOf(r.response)])).to.deep.equal([[undefined, 'G1'], [undefined, 'G2'], [undefined, 'G3']]);
    const id = job.name!.slice('batches/'.length);
    const records = await recordsOf(job.name!, 3);
    expect(records.map((r) => [r.request_id, userText(r.request.body), r.attempts.length, r.served])).to.deep.equal([
      [`${id}/1`, 'G1', 1, 'ls:m'], [`${id}/2`, 'G2', 1, 'ls:m'], [`${id}/3`, 'G3', 1, 'ls:m'],
    ]);
    for (const record of records) expect((await replayExchange(record, configFrom(yaml()))).state, record.request_id).to.equal('same');
  });

  it('requests with equal metadata are recorded apart; each response carries its metadata as given', async () => {
    const job = await ai.batches.create({ model: 'ls:m', src: [ask('A', { tag: 'x' }), ask('B', { tag: 'x' }), ask('C', { tag: 'y' })] });
    const done = await ended(job.name!);
    expect(done.dest!.inlinedResponses!.map((r) => [r.metadata, textOf(r.response)])).to.deep.equal([[{ tag: 'x' }, 'A'], [{ tag: 'x' }, 'B'], [{ tag: 'y' }, 'C']]);
    const records = await recordsOf(job.name!, 3);
    expect(records.map((r) => userText(r.request.body))).to.deep.equal(['A', 'B', 'C']);
    for (const record of records) expect((await replayExchange(record, configFrom(yaml()))).state, record.request_id).to.equal('same');
  });

  it('lip replay over the file: every exchange same', async () => {
    const { code, report } = await replayFile(file, yaml());
    expect(report.exchanges.map((e) => e.state)).to.deep.equal(new Array(6).fill('same'));
    expect(code).to.equal(0);
  });
});
