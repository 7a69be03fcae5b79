import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import type { Call } from '../../lib/canonical/index.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

/**
 * Recording end to end: every client protocol, streamed and not, through its official SDK
 * against lip against an emulated upstream; each exchange becomes one redacted JSON line that
 * replays (substitute mode, virtual time) as `same`.
 */
describe('recording: serve through the SDKs -> file -> replay', function () {
  this.timeout(60_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  const SECRET = 'PROJECT-NIGHTJAR-7731';
  const HEADER_SECRET = 'hdr-secret-5512';
  const config = () => testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key-9" }`,
    `routing: { default_route: "up:fast" }\nrecording: { enabled: true, path: "${file}", redact_headers: [x-team-token], redact_substrings: ["${SECRET}"] }`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-'));
    file = join(dir, 'traffic.jsonl');
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (req: RecordedRequest) => ({ text: ['Hello ', 'from ', req.model ?? '?'], usage: { input: 5, output: 3 } });
    lip = await startLip(config());
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one line per exchange for every protocol, streamed and not, and each replays as same', async () => {
    const sent: string[] = [];
    for (const driver of Object.values(CLIENT_DRIVERS)) {
      for (const stream of [true, false]) {
        const result = await driver.run(lip.url, {
          model: 'up:fast', stream, messages: [{ role: 'user', text: `tell me about ${SECRET}` }], headers: { 'x-team-token': HEADER_SECRET },
        });
        expect(result.error, `${driver.id} stream=${stream}`).to.equal(undefined);
        expect(result.text).to.equal('Hello from fast');
        sent.push(`${driver.id}/${stream}`);
      }
    }
    const records = await eventually(() => readRecords(file), (r) => r.length >= sent.length);
    expect(records).to.have.length(sent.length);
    expect(records.map((r) => `${r.frontend}/${String((r.attempts[0]?.call as { stream?: boolean } | null)?.stream)}`).sort()).to.deep.equal([...sent].sort());
    for (const record of records) {
      expect(record.v).to.equal(1);
      expect(record.served).to.equal('up:fast');
      expect(record.attempts).to.have.length(1);
      expect(record.attempts[0]).to.include({ candidate_key: 'up:fast', backend_id: 'up', outcome: 'success', role: 'served' });
      expect(record.attempts[0]!.events.length).to.be.greaterThan(2);
      expect(record.client.status).to.equal(200);
      expect(record.client.events.map(([, e]) => e.type)).to.include('text_delta');
      // Offsets from the exchange start, in order.
      const offsets = record.client.events.map(([t]) => t);
      expect([...offsets].sort((a, b) => a - b)).to.deep.equal(offsets);
      const result = await replayExchange(record, config());
      expect(result.state, JSON.stringify(result)).to.equal('same');
    }
  });

  it('a tool whose parameters are named like secrets (token, password) is recorded as valid JSON and replays as same', async () => {
    const tools = [{ name: 'login', parameters: { type: 'object', properties: { token: { type: 'string' }, password: { type: 'string', minLength: 8 }, api_key: { type: 'array', items: { type: 'string' } } } } }];
    const before = readRecords(file).length;
    for (const driver of Object.values(CLIENT_DRIVERS)) {
      const result = await driver.run(lip.url, { model: 'up:fast', stream: false, messages: [{ role: 'user', text: 'sign in' }], tools });
      expect(result.error, driver.id).to.equal(undefined);
    }
    const count = Object.keys(CLIENT_DRIVERS).length;
    const records = (await eventually(() => readRecords(file), (r) => r.length >= before + count)).slice(before);
    expect(records).to.have.length(count);
    for (const record of records) {
      const call = record.attempts[0]!.call as Call;
      expect(call.tools[0]!.parameters, record.frontend).to.deep.equal(tools[0]!.parameters);
      const result = await replayExchange(record, config());
      expect(result.state, JSON.stringify(result)).to.equal('same');
    }
  });

  it('never lets a header secret, a client key or a configured substring reach the file', async () => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.to.contain(SECRET);
    expect(text).not.to.contain(HEADER_SECRET);
    expect(text).not.to.contain('test-key');
    expect(text).to.contain('[REDACTED]');
    const record = readRecords(file)[0]!;
    expect(record.request.headers['x-team-token']).to.equal('[REDACTED]');
  });
});
