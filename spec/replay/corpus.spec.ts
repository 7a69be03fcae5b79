import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording } from '../../lib/replay/read-recording.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import type { Call } from '../../lib/canonical/index.js';
import { describeResult } from '../../lib/replay/replay-report.js';
import { configFrom } from '../helpers/config.js';
import { CORPUS_DIR, EMBEDDING_SCENARIOS, SCENARIOS } from './corpus/record-corpus.js';

/**
 * The regression corpus: exchanges recorded from the emulators (testdata/replay/corpus.jsonl)
 * replayed through today's frontends, routing and executor on virtual time. Any change that
 * alters client-visible output (translation, routing, a default feature) fails here with the
 * first differing event and a field diff. Re-record deliberately with
 * `npx tsx spec/replay/corpus/record-corpus.ts` when a change is intended.
 */
const config = configFrom(readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8'));
const corpus = await readRecording(join(CORPUS_DIR, 'corpus.jsonl'));

describe('replay: the regression corpus', () => {
  it('is complete: every scenario, no bad line, every protocol streamed and not', () => {
    expect(corpus.bad).to.deep.equal([]);
    expect(corpus.records).to.have.length(SCENARIOS.length + EMBEDDING_SCENARIOS.length);
    const pairs = new Set(corpus.records.map((r) => `${r.frontend}/${String((r.attempts[0]?.call as Call | null | undefined)?.stream)}`));
    for (const id of ['openai-chat', 'openai-responses', 'anthropic', 'gemini']) for (const s of ['true', 'false']) expect(pairs).to.include(`${id}/${s}`);
    const attempts = corpus.records.flatMap((r) => r.attempts);
    expect(attempts.some((a) => a.outcome === 'failure' && a.http_status === 503), 'a failover').to.equal(true);
    expect(attempts.some((a) => a.outcome === 'cancelled' && a.reason === 'race loser'), 'a race').to.equal(true);
    expect(corpus.records.some((r) => r.selector?.includes('handicap')), 'a handicap').to.equal(true);
    expect(attempts.some((a) => a.reason === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT'), 'a TTFT expiry').to.equal(true);
    expect(corpus.records.some((r) => r.client.error !== null && r.client.events.some(([, e]) => e.type === 'text_delta')), 'an in-band error after output').to.equal(true);
    expect(corpus.records.some((r) => r.client.events.some(([, e]) => e.type === 'tool_call_started')), 'a tool call').to.equal(true);
    const embeddings = corpus.records.filter((r) => r.client.embedding !== undefined);
    expect(embeddings.map((r) => r.frontend).sort(), 'embeddings of both protocols').to.deep.equal(['gemini', 'openai-chat']);
    expect(embeddings.some((r) => r.attempts.some((a) => a.outcome === 'failure' && a.http_status === 503)), 'an embeddings failover').to.equal(true);
  });

  for (const record of corpus.records) {
    const body = record.request.body as { model?: string } | null;
    it(`${record.frontend} ${body?.model ?? record.request.path} replays as same`, async () => {
      const result = await replayExchange(record, config);
      expect(result.state, `\n${describeResult(result)}\n`).to.equal('same');
    });
  }
});
