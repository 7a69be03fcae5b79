import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

/**
 * Regression (found by spec/fuzz/recording-roundtrip.fuzz.spec.ts): an upstream's in-band error
 * is retryable or not by its type (`server_error` is, `invalid_request_error` is not), which
 * neither the attempt's `reason` nor its `http_status` tells. The record did not keep it, so a
 * replay raised every recorded in-band error as final: the failover routing had made became an
 * error, and the client's `LIP_ERR_ROUTE_ALL_FAILED` became the upstream's own code. Each failed
 * attempt now records `retryable`, and a replay raises the failure as it was.
 */
describe('recording: a failure replays as retryable as it was', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  const config = () => testConfig(
    `  - { id: first, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }\n  - { id: second, kind: openai-chat, base_url: "${upstream.url}", api_key: k-0123456789 }`,
    `routing: { default_route: "first:m|second:m" }\nrecording: { enabled: true, path: "${file}" }`,
  );
  const chat = (stream: boolean) => fetch(`${lip.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'first:m|second:m', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-retry-'));
    file = join(dir, 'r.jsonl');
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(config());
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const stream of [false, true]) {
    it(`an in-band server_error before output fails over, and replays as a failover (stream=${stream})`, async () => {
      const before = readRecords(file).length;
      upstream.enqueue({ text: [], streamError: { message: 'overloaded, try again' } }, { text: ['from second'] });
      const res = await chat(stream);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.contain('from second');
      const record = (await eventually(() => readRecords(file), (r) => r.length > before))[before]!;
      expect(record.attempts.map((a) => [a.candidate_key, a.outcome, a.reason, a.retryable])).to.deep.equal([
        ['first:m', 'failure', 'LIP_ERR_UPSTREAM_STREAM_ERROR', true], ['second:m', 'success', null, null],
      ]);
      const result = await replayExchange(record, config());
      expect(result.state, JSON.stringify(result)).to.equal('same');
    });
  }

  it('an in-band invalid_request_error is final, and replays as final', async () => {
    const before = readRecords(file).length;
    upstream.enqueue({ text: [], streamError: { message: 'bad request', type: 'invalid_request_error' } }, { text: ['never'] });
    const res = await chat(false);
    expect(res.status).to.be.within(400, 599);
    const record = (await eventually(() => readRecords(file), (r) => r.length > before))[before]!;
    expect(record.attempts.map((a) => [a.candidate_key, a.outcome, a.retryable])).to.deep.equal([['first:m', 'failure', false]]);
    const result = await replayExchange(record, config());
    expect(result.state, JSON.stringify(result)).to.equal('same');
    upstream.reset();
  });

  it('a record written before `retryable` existed still replays: an upstream status decides, as CONTRACT section 7 says', async () => {
    const before = readRecords(file).length;
    upstream.enqueue({ status: 503, error: { message: 'busy' } }, { text: ['from second'] });
    expect((await chat(false)).status).to.equal(200);
    const record = (await eventually(() => readRecords(file), (r) => r.length > before))[before]!;
    const { retryable: _, ...older } = record.attempts[0]!;
    const result = await replayExchange({ ...record, attempts: [older, ...record.attempts.slice(1)] }, config());
    expect(result.state, JSON.stringify(result)).to.equal('same');
  });
});
