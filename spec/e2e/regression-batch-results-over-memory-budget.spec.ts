import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { ended, resultsOf } from '../helpers/batches.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const ALICE = 'alice-key-0123456789';
const TOTAL = 4_000;

/**
 * A batch whose results are more than the memory store's `max_response_bytes`: the store pushed
 * out its oldest stored responses, the batch's own records among them, so the results had 1,300
 * lines for 4,000 succeeded requests (the lines of a missing record were skipped without a word)
 * and the caller's list of batches was empty while the batch could still be retrieved.
 */
describe('regression: a batch whose results exceed the memory store\'s max_response_bytes', function () {
  this.timeout(120_000);
  let lip: RunningLip;

  before(async () => {
    lip = await startLip(testConfig('  - { id: st, kind: localstub }', [
      'server: { host: 127.0.0.1, port: 0, batch_concurrency: 16 }',
      `auth: { api_keys: [{ id: alice, key: "${ALICE}" }] }`,
      'continuity: { store: memory, max_response_bytes: 1MiB }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
  });

  it('keeps every result line and the batch in its caller\'s list; other stored responses give way', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: ALICE, maxRetries: 0 });
    const created = await client.messages.batches.create({
      requests: Array.from({ length: TOTAL }, (_, i) => ({ custom_id: `r${i}`, params: { model: 'st:x', max_tokens: 16, messages: [{ role: 'user' as const, content: `hi ${i}` }] } })),
    });
    const batch = await ended(client, created.id, 90_000);
    expect(batch.request_counts).to.deep.include({ succeeded: TOTAL, processing: 0 });
    const lines = await resultsOf(client, created.id);
    expect(lines.map((l) => l.custom_id)).to.deep.equal(Array.from({ length: TOTAL }, (_, i) => `r${i}`));
    expect(lines.every((l) => l.result.type === 'succeeded')).to.equal(true);
    expect((await client.messages.batches.list()).data.map((b) => b.id)).to.deep.equal([created.id]);
  });
});
