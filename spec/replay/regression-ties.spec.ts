import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { AttemptRecord, ExchangeRecord, TimedEvent } from '../../lib/replay/record-format.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configDigest } from '../../lib/replay/recorder.js';
import { configFrom } from '../helpers/config.js';

/**
 * Regression (found by spec/fuzz/recording-roundtrip.fuzz.spec.ts): a recording keeps whole
 * milliseconds, so an event and one of lip's own timers often fall on the same one. The replay
 * let whatever it had scheduled first win such a tie, against what the recording shows: a race's
 * handicapped leg that was never attempted opened anyway (`unrecorded`: its handicap's timer was
 * set before the winner's events), and of two legs whose outputs a hand-made record puts on the
 * same millisecond, the first in the selector won instead of the served one. Recorded events now
 * come first at a tie, the served attempt's first of all. The TTFT budget's edge, which the
 * replay already decided as recorded, is pinned beside them. A real timer also fires late (by
 * milliseconds on a busy machine): a handicapped leg the recording never saw start, because the
 * winner's output came before its late timer, is opened by virtual time on its handicap; under
 * the config the exchange ran with, such a leg stopped unneeded is no difference.
 */

const CONFIG = configFrom('backends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }');
/**
 * The same routing under another config (another digest): a what-if, where a leg opened late is
 * not excused as a late timer, so only the tie rule can keep an unattempted leg closed.
 */
const OTHER = configFrom('routing: { max_attempts: 7 }\nbackends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }');

/** An answer whose first output comes `firstMs` after `startMs`, finishing 2 ms later. */
function answer(text: string, startMs: number, firstMs: number): TimedEvent[] {
  const opening: LipEvent[] = [{ type: 'response_started', model: 'm' }, { type: 'message_started' }];
  return [...opening.map((e) => [startMs, e] as const), [startMs + firstMs, { type: 'text_delta', text }], [startMs + firstMs + 2, { type: 'response_finished', reason: 'stop' }]];
}

function served(seq: number, key: string, startMs: number, events: TimedEvent[]): AttemptRecord {
  return {
    seq, b_leg_id: null, candidate_key: key, backend_id: 'up', role: 'served', started_ms: startMs, first_output_ms: events[2]![0],
    finished_ms: events[events.length - 1]![0], outcome: 'success', reason: null, http_status: null, retryable: null, call: null, events,
  };
}

function exchange(selector: string, attempts: AttemptRecord[], client: TimedEvent[]): ExchangeRecord {
  return {
    v: 1, id: `rec_${selector}`, request_id: 'req', at: '2026-12-01T00:00:00.000Z', frontend: 'openai-chat', principal: 'local',
    session_id: null, a_leg_id: null, config_digest: configDigest(CONFIG),
    request: { method: 'POST', path: '/v1/chat/completions', headers: { 'x-lip-route': selector }, body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
    selector, selector_source: 'header', served: attempts.find((a) => a.role === 'served')?.candidate_key ?? null,
    attempts, client: { status: 200, headers: {}, events: client, error: null, finished_ms: client[client.length - 1]![0] + 1 },
  };
}

describe('replay: a tie at a recorded millisecond goes the way the recording shows', () => {
  it('a handicapped leg never attempted stays unopened when the winner\'s output came at its handicap', async () => {
    const events = answer('from b', 6, 10);
    const record = exchange('[handicap=10ms]up:a!up:b', [served(1, 'up:b', 6, events)], events);
    for (const config of [CONFIG, OTHER]) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result)).to.equal('same');
      expect(result.served).to.deep.equal({ recorded: 'up:b', replayed: 'up:b' });
    }
  });

  it('a handicapped leg whose real timer fired late (never attempted, the winner\'s output 2 ms after its handicap) is no difference under the recorded config', async () => {
    const events = answer('from b', 1, 12);
    const record = exchange('[handicap=10ms]up:a!up:b', [served(1, 'up:b', 1, events)], events);
    const result = await replayExchange(record, CONFIG);
    expect(result.state, JSON.stringify(result)).to.equal('same');
    // Under another config (a what-if) the replay cannot tell a late timer from a new decision: it says what it opened.
    expect(await replayExchange(record, OTHER)).to.deep.include({ state: 'unrecorded', unrecorded: ['up:a'] });
    // A leg it opens without a delay is never excused: it was not in the recording at all.
    const plain = exchange('up:a!up:b', [served(1, 'up:b', 1, events)], events);
    expect(await replayExchange(plain, CONFIG)).to.deep.include({ state: 'unrecorded', unrecorded: ['up:a'] });
  });

  it('of two legs whose outputs came on the same millisecond, the served one wins again', async () => {
    const a = answer('from a', 4, 12);
    const b = answer('from b', 4, 12);
    const loser: AttemptRecord = { ...served(1, 'up:a', 4, a), role: 'tried' };
    const record = exchange('up:a!up:b', [loser, served(2, 'up:b', 4, b)], b);
    const result = await replayExchange(record, CONFIG);
    expect(result.state, JSON.stringify(result)).to.equal('same');
    expect(result.served).to.deep.equal({ recorded: 'up:b', replayed: 'up:b' });
  });

  it('a first output exactly at its leaf\'s TTFT budget is served, not cut', async () => {
    const events = answer('in time', 3, 150);
    const record = exchange('[ttft_timeout=150ms]up:a|up:b', [served(1, 'up:a', 3, events)], events);
    const result = await replayExchange(record, CONFIG);
    expect(result.state, JSON.stringify(result)).to.equal('same');
    expect(result.virtual_ms).to.equal(152);
  });

  it('one millisecond later the budget still decides: the attempt is cut and the next one is not in the recording', async () => {
    const events = answer('too late', 3, 151);
    const record = exchange('[ttft_timeout=150ms]up:a|up:b', [served(1, 'up:a', 3, events)], events);
    const result = await replayExchange(record, CONFIG);
    expect(result.state, JSON.stringify(result)).to.equal('unrecorded');
    expect(result.unrecorded).to.deep.equal(['up:b']);
  });
});
