import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

const ROWS = '  - { id: stub, kind: localstub, models: [m] }\n  - { id: broken, kind: localstub, models: [m], fail: "after_output" }';
const post = (url: string, body: unknown) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('recording: sampling, refused requests, in-band failures', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-rec-cases-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sample_ratio 0 records nothing and serves as usual', async () => {
    const path = join(dir, 'r.jsonl');
    const lip = await startLip(testConfig(ROWS, `routing: { default_route: "stub:m" }\nrecording: { enabled: true, path: "${path}", sample_ratio: 0 }`));
    for (let i = 0; i < 3; i++) expect((await post(lip.url, { model: 'stub:m', messages: [{ role: 'user', content: 'x' }] })).status).to.equal(200);
    await lip.close(); // flushes the writer
    expect(existsSync(path)).to.equal(false);
  });

  it('records a refused request and an in-band error after output; both replay as same', async () => {
    const path = join(dir, 'r.jsonl');
    const config = testConfig(ROWS, `routing: { default_route: "stub:m" }\nrecording: { enabled: true, path: "${path}" }`);
    const lip = await startLip(config);
    try {
      const refused = await post(lip.url, { model: 'stub:m', messages: 'not a list' });
      expect(refused.status).to.equal(400);
      const streamed = await post(lip.url, { model: 'broken:m', stream: true, messages: [{ role: 'user', content: 'x' }] });
      expect(streamed.status).to.equal(200);
      await streamed.text();
      const records = await eventually(() => readRecords(path), (r) => r.length === 2);
      const [bad, cut] = records;
      expect(bad!.client).to.deep.include({ status: 400, error: { code: 'LIP_ERR_REQUEST_INVALID' }, events: [] });
      expect(bad!.attempts).to.deep.equal([]);
      expect(cut!.client.error?.code).to.be.a('string');
      expect(cut!.client.events.some(([, e]) => e.type === 'text_delta')).to.equal(true);
      expect(cut!.attempts[0]).to.include({ outcome: 'failure', role: 'served' });
      for (const record of records) expect((await replayExchange(record, config)).state).to.equal('same');
    } finally {
      await lip.close();
    }
  });
  it('records a failover and a race with the circuit breaker on: every attempt with its events and how it ended', async () => {
    const path = join(dir, 'r.jsonl');
    const rows = `${ROWS}\n  - { id: down, kind: localstub, models: [m], fail: "before_output:503" }\n  - { id: slow, kind: localstub, models: [m], first_token_delay: 2s }\n  - { id: quick, kind: localstub, models: [m], first_token_delay: 50ms }`;
    const config = testConfig(rows, `routing: { default_route: "stub:m", circuit_breaker: { enabled: true } }\nrecording: { enabled: true, path: "${path}" }`);
    const lip = await startLip(config);
    try {
      const failover = await post(lip.url, { model: 'down:m|stub:m', stream: true, messages: [{ role: 'user', content: 'x' }] });
      expect(failover.status).to.equal(200);
      await failover.text();
      const race = await post(lip.url, { model: 'quick:m!slow:m', messages: [{ role: 'user', content: 'x' }] });
      expect(race.status).to.equal(200);
      await race.json();
      const [first, second] = await eventually(() => readRecords(path), (r) => r.length === 2);
      expect(first!.attempts.map((a) => [a.candidate_key, a.outcome, a.role])).to.deep.equal([['down:m', 'failure', 'tried'], ['stub:m', 'success', 'served']]);
      expect(first!.attempts[0]!.events).to.deep.equal([]);
      expect(first!.attempts[0]!.call).to.be.an('object');
      expect(first!.attempts[1]!.events.some(([, e]) => e.type === 'text_delta')).to.equal(true);
      const byKey = new Map(second!.attempts.map((a) => [a.candidate_key, a]));
      expect(byKey.get('quick:m')).to.include({ outcome: 'success', role: 'served' });
      expect(byKey.get('slow:m')).to.include({ outcome: 'cancelled', role: 'tried' });
      expect(byKey.get('slow:m')!.finished_ms).to.be.a('number');
      for (const record of [first!, second!]) expect((await replayExchange(record, config)).state).to.equal('same');
    } finally {
      await lip.close();
    }
  });

  it('keeps the candidates routing skipped for an open circuit, and a replay skips them again', async () => {
    const path = join(dir, 'r.jsonl');
    const rows = `${ROWS}\n  - { id: down, kind: localstub, models: [m], fail: "before_output:503" }`;
    const config = testConfig(rows, `routing: { default_route: "stub:m", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 60s } }\nrecording: { enabled: true, path: "${path}" }`);
    const lip = await startLip(config);
    try {
      expect((await post(lip.url, { model: 'down:m', messages: [{ role: 'user', content: 'x' }] })).status).to.equal(503);
      const routedAround = await post(lip.url, { model: 'down:m|stub:m', messages: [{ role: 'user', content: 'x' }] });
      expect(routedAround.status).to.equal(200);
      await routedAround.json();
      const [opening, skipping] = await eventually(() => readRecords(path), (r) => r.length === 2);
      expect(opening!.skipped).to.deep.equal([]);
      expect(skipping!.skipped).to.deep.equal([{ candidate_key: 'down:m', reason: 'circuit open' }]);
      expect(skipping!.attempts.map((a) => a.candidate_key)).to.deep.equal(['stub:m']);
      for (const record of [opening!, skipping!]) expect((await replayExchange(record, config)).state).to.equal('same');
      // Under a config without circuits the candidate would be tried: the recording does not have that attempt.
      const without = testConfig(rows, 'routing: { default_route: "stub:m" }');
      expect(await replayExchange(skipping!, without)).to.deep.include({ state: 'unrecorded', unrecorded: ['down:m'] });
    } finally {
      await lip.close();
    }
  });

  it('keeps the client\'s key id, and a replay applies that key\'s allow list as its config has it', async () => {
    const path = join(dir, 'r.jsonl');
    const keys = (allow: string) => `auth: { api_keys: [{ id: team-a, key: key-of-team-a-0123456789, principal: team, allow: [${allow}] }] }`;
    const config = testConfig(ROWS, `routing: { default_route: "stub:m" }\nrecording: { enabled: true, path: "${path}" }\n${keys('stub')}`);
    const lip = await startLip(config);
    try {
      const res = await fetch(`${lip.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer key-of-team-a-0123456789' },
        body: JSON.stringify({ model: 'broken:m|stub:m', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).to.equal(200);
      await res.json();
      const [record] = await eventually(() => readRecords(path), (r) => r.length === 1);
      expect(record!.key_id).to.equal('team-a');
      expect(JSON.stringify(record)).not.to.contain('key-of-team-a-0123456789');
      expect(record!.skipped).to.deep.equal([{ candidate_key: 'broken:m', reason: 'not allowed for API key "team-a"' }]);
      expect((await replayExchange(record!, config)).state).to.equal('same');
      // What-if: the key may now use both; the replay tries the one the recording never attempted.
      const widened = testConfig(ROWS, `routing: { default_route: "stub:m" }\n${keys('stub, broken')}`);
      expect(await replayExchange(record!, widened)).to.deep.include({ state: 'unrecorded', unrecorded: ['broken:m'] });
    } finally {
      await lip.close();
    }
  });
});
