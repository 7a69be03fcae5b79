import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { ContinuityStatus } from '../../lib/continuity/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const ALICE = 'alice-key-0123456789';
const TOTAL = 10_000;

/** The continuity check of `/readyz`. */
function continuityOf(url: string): Promise<ContinuityStatus> {
  return new Promise((resolve, reject) => {
    httpRequest(`${url}/readyz`, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve((JSON.parse(text) as { checks: { continuity: ContinuityStatus } }).checks.continuity));
    }).on('error', reject).end();
  });
}

/**
 * A large batch whose requests answer without waiting (a local backend here; a response-cache
 * hit is the same): each request that ended used to start the next in the same event-loop turn,
 * so the whole batch ran in one turn. Nothing else was served meanwhile (a retrieve waited for
 * the batch's end) and the SQLite store's write queue, whose flush is a timer, overflowed and
 * dropped the oldest records: the batch's result chunks, so its output file had 5,000 of
 * 10,000 lines while its counts said 10,000 completed.
 */
describe('regression: a large batch of requests answered at once (SQLite store)', function () {
  this.timeout(120_000);
  let dir: string;
  let lip: RunningLip;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-instant-batch-'));
    lip = await startLip(testConfig('  - { id: st, kind: localstub }', [
      'server: { host: 127.0.0.1, port: 0, batch_concurrency: 16 }',
      `auth: { api_keys: [{ id: alice, key: "${ALICE}" }] }`,
      `continuity: { store: sqlite, sqlite_path: "${join(dir, 'lip.db')}" }`,
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves other requests while it runs, and writes every result line (nothing dropped)', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const lines = Array.from({ length: TOTAL }, (_, i) => JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'st:x', messages: [{ role: 'user', content: `hi ${i}` }] } }));
    const input = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'input.jsonl'), purpose: 'batch' });
    const created = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    // Asked at once: answered while the batch runs, not after its last request.
    const during = await client.batches.retrieve(created.id);
    expect(during.status, 'a retrieve made while the batch runs').to.equal('in_progress');
    expect(during.request_counts!.completed).to.be.below(TOTAL);

    let batch: Batch = during;
    const deadline = Date.now() + 90_000;
    while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
      if (Date.now() > deadline) throw new Error(`the batch did not end: ${JSON.stringify(batch)}`);
      await sleep(50);
      batch = await client.batches.retrieve(created.id);
    }
    expect(batch).to.deep.include({ status: 'completed', request_counts: { total: TOTAL, completed: TOTAL, failed: 0 }, error_file_id: null });
    const output = (await (await client.files.content(batch.output_file_id!)).text()).split('\n').filter((l) => l !== '');
    expect(output).to.have.length(TOTAL);
    expect(output.map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)).to.deep.equal(Array.from({ length: TOTAL }, (_, i) => `r${i}`));
    expect(await continuityOf(lip.url)).to.deep.include({ dropped: 0 });
  });
});
