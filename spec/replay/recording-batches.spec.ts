import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Recorder } from '../../lib/replay/recorder.js';
import { ended } from '../helpers/batches.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, RecordLines, replayFile } from './recording-helpers.js';

/**
 * The requests of a batch are exchanges too: each is recorded like the request it is (its
 * endpoint's path, its own body, the batch create's headers; the status its result line has),
 * and replays as it ran. Before, each opened a capture on the traffic plane that nothing ever
 * finished: batches were missing from recordings, and every request of one kept its capture
 * (its body and all its events) in the recorder until 10,000 newer exchanges pushed it out.
 */
describe('recording: the requests of a batch', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let yaml: string;
  let client: Anthropic;
  const recorder = () => (lip.server.runtimeNow as unknown as { recorder: Recorder }).recorder;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-batch-'));
    file = join(dir, 'traffic.jsonl');
    yaml = testConfigYaml([
      '  - { id: ls, kind: localstub, models: [m], text: "hello from a batch", chunks: 3, input_tokens: 9, output_tokens: 4 }',
      '  - { id: slow, kind: localstub, models: [m], text: "never", fail: stall }',
    ].join('\n'), `recording: { enabled: true, path: "${file}" }\nserver: { batch_concurrency: 2 }`);
    lip = await startLip(configFrom(yaml));
    client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const params = (model: string, text: string) => ({ model, max_tokens: 10, messages: [{ role: 'user' as const, content: text }] });

  it('each request that ran is a record of its own, and the file replays as same', async () => {
    const created = await client.messages.batches.create({ requests: [
      { custom_id: 'a', params: params('ls:m', 'First.') },
      { custom_id: 'b', params: params('ls:m', 'Second.') },
      // Refused by the frontend (no messages): an errored line, recorded with its status.
      { custom_id: 'c', params: { model: 'ls:m', max_tokens: 10, messages: [] } },
    ] });
    await ended(client, created.id);
    const lines = new RecordLines(file);
    for (const [id, text] of [['a', 'First.'], ['b', 'Second.']] as const) {
      const [record] = await eventually(() => lines.of(`${created.id}/${id}`), (r) => r.length > 0);
      expect(record!.request).to.deep.include({ method: 'POST', path: '/v1/messages', body: params('ls:m', text) });
      expect(record!.request.headers).to.include({ authorization: '[REDACTED]' });
      expect(record!.request.headers).not.to.have.property('content-length');
      expect(record!.frontend).to.equal('anthropic');
      expect(record!.a_leg_id).to.be.a('string');
      expect(record!.client.status).to.equal(200);
      expect(record!.attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['ls:m', 'success']]);
      expect(record!.client.events.map(([, e]) => e.type)).to.include('text_delta');
    }
    const [refused] = await eventually(() => lines.of(`${created.id}/c`), (r) => r.length > 0);
    expect([refused!.client.status, refused!.client.error?.code, refused!.attempts]).to.deep.equal([400, 'LIP_ERR_REQUEST_INVALID', []]);
    expect(recorder().capturing, 'captures left open').to.equal(0);

    const { code, report, stderr } = await replayFile(file, yaml);
    expect(report.exchanges.filter((e) => e.state !== 'same'), stderr).to.deep.equal([]);
    expect(report.summary.total).to.equal(3);
    expect(code).to.equal(0);
  });

  it('a request a cancel stopped while it ran is recorded as the client saw it (499); none is left open', async () => {
    const created = await client.messages.batches.create({ requests: [
      { custom_id: 'stuck', params: params('slow:m', 'Wait.') },
      { custom_id: 'queued-1', params: params('slow:m', 'Later.') },
      { custom_id: 'queued-2', params: params('slow:m', 'Later.') },
      { custom_id: 'queued-3', params: params('slow:m', 'Later.') },
    ] });
    // Two run (batch_concurrency), stalled; the others wait.
    const lines = new RecordLines(file);
    await eventually(() => recorder().capturing, (n) => n >= 2);
    await client.messages.batches.cancel(created.id);
    await ended(client, created.id);
    const [stuck] = await eventually(() => lines.of(`${created.id}/stuck`), (r) => r.length > 0);
    expect(stuck!.client.status).to.equal(499);
    expect(stuck!.attempts.map((a) => [a.outcome, a.reason])).to.deep.equal([['cancelled', 'the batch was cancelled']]);
    await eventually(() => recorder().capturing, (n) => n === 0);
  });
});
