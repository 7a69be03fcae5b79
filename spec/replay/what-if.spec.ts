import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { AttemptRecord, ExchangeRecord, TimedEvent } from '../../lib/replay/record-format.js';
import { readRecording } from '../../lib/replay/read-recording.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom } from '../helpers/config.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';

const BACKEND = 'backends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }';
const flipConfig = (budget: string) => configFrom(`model_aliases: [{ pattern: "^flip$", replacement: "up:a ! [ttft_timeout=${budget}]up:b" }]\n${BACKEND}`);

/** An answer `text` whose first output comes at `firstMs` and which completes 20 ms later. */
function answer(text: string, firstMs: number): TimedEvent[] {
  const events: LipEvent[] = [{ type: 'response_started', model: text }, { type: 'message_started' }];
  return [...events.map((e) => [5, e] as const), [firstMs, { type: 'text_delta', text }], [firstMs + 20, { type: 'response_finished', reason: 'stop' }]];
}

function attempt(seq: number, key: string, events: TimedEvent[]): AttemptRecord {
  return {
    seq, b_leg_id: null, candidate_key: key, backend_id: 'up', role: 'tried', started_ms: 0, first_output_ms: events[2]![0],
    finished_ms: events[events.length - 1]![0], outcome: 'success', reason: null, http_status: null, call: null, events,
  };
}

/**
 * A race whose two legs are both recorded to the end. A live race cancels its loser, so a
 * recording holds the whole of a leg only when it ran to the end; this record is assembled by
 * hand to show the re-decision itself: leg b (first output at 200 ms, budget 250 ms) won;
 * leg a would have answered at 300 ms.
 */
const race: ExchangeRecord = {
  v: 1, id: 'rec_flip', request_id: 'req_flip', at: '2026-12-01T00:00:00.000Z', frontend: 'openai-chat', principal: 'local',
  session_id: null, a_leg_id: null, config_digest: 'x',
  request: { method: 'POST', path: '/v1/chat/completions', headers: {}, body: { model: 'flip', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
  selector: 'up:a ! [ttft_timeout=250ms]up:b', selector_source: 'alias', served: 'up:b',
  attempts: [attempt(1, 'up:a', answer('from a', 300)), attempt(2, 'up:b', answer('from b', 200))],
  client: { status: 200, headers: {}, events: answer('from b', 200), error: null, finished_ms: 220 },
};

describe('replay: what-if on virtual time', () => {
  it('under the recorded budget the race decides as recorded', async () => {
    const result = await replayExchange(race, flipConfig('250ms'));
    expect(result.state, JSON.stringify(result)).to.equal('same');
    expect(result.virtual_ms).to.equal(220);
  });

  it('a tighter TTFT budget on the winner flips the race: route-changed, with the other leg\'s answer', async () => {
    const result = await replayExchange(race, flipConfig('150ms'));
    expect(result.state).to.equal('route-changed');
    expect(result.served).to.deep.equal({ recorded: 'up:b', replayed: 'up:a' });
    expect(result.difference?.fields).to.deep.include({ path: 'model', recorded: 'from b', replayed: 'from a' });
    // Decided on virtual time: a's answer ends at its recorded 320 ms, not on the wall clock.
    expect(result.virtual_ms).to.equal(320);
  });

  it('a truncated record is unrecorded: its later events are not known', async () => {
    const result = await replayExchange({ ...race, truncated: true }, flipConfig('250ms'));
    expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['(the record was truncated)'] });
  });

  it('a budget that would try a candidate the recording never attempted reports unrecorded, never a guess', async () => {
    const corpus = await readRecording(join(CORPUS_DIR, 'corpus.jsonl'));
    const slowish = corpus.records.find((r) => r.selector?.includes('slowish'))!;
    const yaml = readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8');
    expect((await replayExchange(slowish, configFrom(yaml))).state).to.equal('same');
    const result = await replayExchange(slowish, configFrom(yaml.replace('[ttft_timeout=5s]up:slowish', '[ttft_timeout=60ms]up:slowish')));
    expect(result.state).to.equal('unrecorded');
    expect(result.unrecorded).to.deep.equal(['up:fast']);
  });
});
