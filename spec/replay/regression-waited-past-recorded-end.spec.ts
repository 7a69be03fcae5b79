import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { LipEvent } from '../../lib/canonical/index.js';
import type { AttemptRecord, ExchangeRecord, TimedEvent } from '../../lib/replay/record-format.js';
import { readRecording } from '../../lib/replay/read-recording.js';
import { describeResult } from '../../lib/replay/replay-report.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configDigest } from '../../lib/replay/recorder.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';
import { eventually, readRecords, replayFile } from './recording-helpers.js';

/**
 * Regression (found by probing what-ifs on the corpus): an attempt lip cut (a race it lost, a TTFT
 * budget) is known only up to its cut, yet a what-if that waited on it longer reported `same`.
 * The end of its recording was noted, and then forgotten when the attempt was finally stopped
 * (the wider budget expired, the later winner won), and the replay's own last unsubscribe forgot
 * what was left. A replay that waited past the end (the replay stuck on an attempt the client's
 * leaving cut, too) said "(the replay did not finish)" without naming the attempt. Now an
 * attempt the replay stops more than a millisecond (the record's resolution) after its recorded
 * end, or not at all, makes the exchange `unrecorded`, naming it; and a client that left leaves
 * the replay where the recording shows it left, so such an exchange replays `same`. Under the
 * config the exchange ran with, a loser stopped by its recorded end on the exchange's clock was
 * stopped by the recorded cut (found by spec/fuzz/recording-roundtrip.fuzz.spec.ts: a race's
 * second leg started 7 ms after its first, which the replay opens at once).
 */

const yaml = readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8');
const corpus = await readRecording(join(CORPUS_DIR, 'corpus.jsonl'));
const recordOf = (model: string) => corpus.records.find((r) => (r.request.body as { model?: string } | null)?.model === model)!;
const attemptOf = (record: ExchangeRecord, key: string) => record.attempts.find((a) => a.candidate_key === key)!;

describe('replay: an attempt waited on past its recorded end is unrecorded', () => {
  describe('a what-if on the corpus', () => {
    const ttft = recordOf('corpus-ttft');
    const race = recordOf('corpus-race');
    const withTtft = (budget: string) => configFrom(yaml.replace('ttft_timeout=150ms', `ttft_timeout=${budget}`));

    it('a wider TTFT budget on the attempt the recorded one cut: unrecorded, naming it', async () => {
      expect(attemptOf(ttft, 'up:slow')).to.include({ outcome: 'failure', reason: 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT' });
      expect((await replayExchange(ttft, configFrom(yaml))).state).to.equal('same');
      const result = await replayExchange(ttft, withTtft('10s'));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['up:slow'], virtual_ms: 10_005 });
    });

    it('the boundary: a budget up to a millisecond past the recorded cut stops it there; one more is past it', async () => {
      const slow = attemptOf(ttft, 'up:slow');
      const known = slow.finished_ms! - slow.started_ms;
      expect((await replayExchange(ttft, withTtft(`${known + 1}ms`))).state).to.equal('same');
      expect(await replayExchange(ttft, withTtft(`${known + 2}ms`))).to.deep.include({ state: 'unrecorded', unrecorded: ['up:slow'] });
    });

    it('a wider handicap keeps the race\'s loser open past its recorded end: unrecorded, naming it', async () => {
      expect(attemptOf(race, 'up:slow')).to.include({ outcome: 'cancelled', reason: 'race loser' });
      const result = await replayExchange(race, configFrom(yaml.replace('handicap=50ms', 'handicap=2s')));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['up:slow'] });
      expect(result.served).to.deep.equal({ recorded: 'up:fast', replayed: 'up:fast' });
    });

    it('a what-if that leaves only the loser waits on it past its end: unrecorded, naming it (not "the replay did not finish")', async () => {
      const result = await replayExchange(race, configFrom(yaml.replace('up:slow![handicap=50ms]up:fast', 'up:slow')));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['up:slow'] });
    });

    it('lip replay exits 1 for the wider budget, 0 under the recording\'s config', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lip-replay-past-end-'));
      try {
        const file = join(dir, 'corpus.jsonl');
        copyFileSync(join(CORPUS_DIR, 'corpus.jsonl'), file);
        const wide = await replayFile(file, yaml.replace('ttft_timeout=150ms', 'ttft_timeout=10s'));
        expect(wide.report.exchanges.filter((e) => e.state !== 'same').map((e) => [e.id, e.state, e.unrecorded])).to.deep.equal([[ttft.id, 'unrecorded', ['up:slow']]]);
        expect(wide.code).to.equal(1);
        const own = await replayFile(file, yaml);
        expect(own.report.summary.same, own.stderr).to.equal(corpus.records.length);
        expect(own.code).to.equal(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the report tells an attempt waited on past its recorded end from one never attempted', () => {
    const ttft = recordOf('corpus-ttft');
    const race = recordOf('corpus-race');

    it('a wider TTFT budget: the cut attempt is named with how its recording ends, not as "not in the recording"', async () => {
      const result = await replayExchange(ttft, configFrom(yaml.replace('ttft_timeout=150ms', 'ttft_timeout=10s')));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['up:slow'], waited_past: [{ candidate_key: 'up:slow', reason: 'cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT' }] });
      const text = describeResult(result);
      expect(text).to.contain('\n  waited on past its recorded end: up:slow (recorded until cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT)');
      expect(text).not.to.contain('not in the recording');
    });

    it('a race\'s loser kept open: named as cancelled, with the recorded reason', async () => {
      const result = await replayExchange(race, configFrom(yaml.replace('handicap=50ms', 'handicap=2s')));
      expect(result.waited_past).to.deep.equal([{ candidate_key: 'up:slow', reason: 'cancelled: race loser' }]);
      expect(describeResult(result)).to.contain('\n  waited on past its recorded end: up:slow (recorded until cancelled: race loser)');
    });

    it('both in one exchange: each on its own line; the JSON report keeps them apart too', async () => {
      const whatIf = yaml.replace('[ttft_timeout=150ms]up:slow|up:fast', '[ttft_timeout=10s]up:slow|up:never');
      const result = await replayExchange(ttft, configFrom(whatIf));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['up:never', 'up:slow'], waited_past: [{ candidate_key: 'up:slow', reason: 'cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT' }] });
      const lines = describeResult(result).split('\n').slice(1);
      expect(lines).to.deep.equal(['  not in the recording: up:never', '  waited on past its recorded end: up:slow (recorded until cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT)']);
      // A candidate the recording never attempted has no waited_past entry.
      const never = await replayExchange(ttft, configFrom(yaml.replace('[ttft_timeout=150ms]up:slow|up:fast', 'up:never')));
      expect(never).to.deep.include({ state: 'unrecorded', unrecorded: ['up:never'] });
      expect(never.waited_past).to.equal(undefined);
      expect(describeResult(never).split('\n').slice(1)).to.deep.equal(['  not in the recording: up:never']);

      const dir = mkdtempSync(join(tmpdir(), 'lip-replay-past-end-json-'));
      try {
        const file = join(dir, 'corpus.jsonl');
        copyFileSync(join(CORPUS_DIR, 'corpus.jsonl'), file);
        const { report } = await replayFile(file, whatIf);
        const exchange = report.exchanges.find((e) => e.id === ttft.id)!;
        expect(exchange).to.deep.include({ unrecorded: ['up:never', 'up:slow'], waited_past: [{ candidate_key: 'up:slow', reason: 'cut by LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT' }] });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('under the config the exchange ran with', () => {
    const CONFIG = configFrom('backends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }');
    const OTHER = configFrom('routing: { max_attempts: 7 }\nbackends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }');
    const opening = (at: number): TimedEvent[] => ([{ type: 'response_started', model: 'm' }, { type: 'message_started' }] as LipEvent[]).map((e) => [at, e] as const);
    const answer: TimedEvent[] = [...opening(13), [67, { type: 'text_delta', text: 'from a' }], [69, { type: 'response_finished', reason: 'stop' }]];
    const leg = (seq: number, key: string, started: number, rest: Partial<AttemptRecord>): AttemptRecord => ({
      seq, b_leg_id: null, candidate_key: key, backend_id: 'up', role: 'tried', started_ms: started, first_output_ms: null, finished_ms: 69,
      outcome: 'cancelled', reason: 'race loser', http_status: null, retryable: null, call: null, events: opening(started), ...rest,
    });
    /** Leg a won at 67 ms; leg b, opened right after it, was stamped 7 ms later (lip encoding a's request) and cut at 69 ms. */
    const race: ExchangeRecord = {
      v: 1, id: 'rec_lag', request_id: 'req_lag', at: '2026-12-01T00:00:00.000Z', frontend: 'openai-chat', principal: 'local',
      session_id: null, a_leg_id: null, config_digest: configDigest(CONFIG),
      request: { method: 'POST', path: '/v1/chat/completions', headers: { 'x-lip-route': 'up:a!up:b' }, body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
      selector: 'up:a!up:b', selector_source: 'header', served: 'up:a',
      attempts: [leg(1, 'up:a', 13, { role: 'served', first_output_ms: 67, outcome: 'success', reason: null, events: answer }), leg(2, 'up:b', 20, {})],
      client: { status: 200, headers: {}, events: answer, error: null, finished_ms: 70 },
    };

    it('a loser the recording started after its winner, cut by the recorded winner\'s output, is same', async () => {
      // The replay opens both legs at once: on b's own clock it ran 54 ms, 5 more than the 49 recorded.
      const result = await replayExchange(race, CONFIG);
      expect(result.state, JSON.stringify(result)).to.equal('same');
      expect(result.virtual_ms).to.equal(56);
    });

    it('under another config the replay cannot tell lip\'s own milliseconds from a new decision: unrecorded, naming the loser', async () => {
      expect(await replayExchange(race, OTHER)).to.deep.include({ state: 'unrecorded', unrecorded: ['up:b'] });
    });
  });

  describe('a client that left (recorded through the OpenAI SDK)', function () {
    this.timeout(30_000);
    let dir: string;
    let file: string;
    let lip: RunningLip;
    let own: string;
    const rows = '  - { id: drip, kind: localstub, models: [m], chunks: 50, chunk_delay: 20ms }\n  - { id: stall, kind: localstub, models: [m], fail: stall }';
    const aliases = (race: string) => `model_aliases: [{ pattern: "^leaving-race$", replacement: "${race}" }]`;
    const records = new Map<string, ExchangeRecord>();

    /** Streams `model` and leaves after the first text, as a user who stops an answer. */
    async function leaveAfterFirstText(model: string): Promise<void> {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const controller = new AbortController();
      const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'a long answer, please' }] }, { signal: controller.signal });
      try {
        for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) controller.abort();
      } catch (err) {
        expect(err).to.be.instanceOf(OpenAI.APIUserAbortError);
      }
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-replay-client-left-'));
      file = join(dir, 'traffic.jsonl');
      own = testConfigYaml(rows, `${aliases('stall:m!drip:m')}\nrecording: { enabled: true, path: "${file}" }`);
      lip = await startLip(configFrom(own));
      for (const model of ['drip:m', 'leaving-race']) {
        await leaveAfterFirstText(model);
        const [record] = await eventually(() => readRecords(file).filter((r) => (r.request.body as { model: string }).model === model), (r) => r.length === 1);
        records.set(model, record!);
      }
    });
    after(async () => {
      await lip?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is recorded as it happened: the served attempt cancelled by the client abort, with the text the client got', () => {
      for (const record of records.values()) {
        expect(record.served).to.equal('drip:m');
        expect(attemptOf(record, 'drip:m')).to.include({ outcome: 'cancelled', reason: 'client abort' });
        expect(record.client.events.some(([, e]) => e.type === 'text_delta')).to.equal(true);
        expect(record.client.events.some(([, e]) => e.type === 'response_finished')).to.equal(false);
      }
    });

    it('replays as same under the recording\'s config: the client leaves where it left', async () => {
      for (const record of records.values()) {
        const result = await replayExchange(record, configFrom(own));
        expect(result.state, JSON.stringify(result)).to.equal('same');
        expect(result.served).to.deep.equal({ recorded: 'drip:m', replayed: 'drip:m' });
      }
      const { code, report, stderr } = await replayFile(file, own);
      expect(report.exchanges.map((e) => e.state), stderr).to.deep.equal(['same', 'same']);
      expect(code).to.equal(0);
    });

    it('a what-if that waits on the race\'s loser instead: unrecorded, naming it', async () => {
      const result = await replayExchange(records.get('leaving-race')!, configFrom(testConfigYaml(rows, aliases('stall:m'))));
      expect(result).to.deep.include({ state: 'unrecorded', unrecorded: ['stall:m'] });
    });
  });
});
