import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../lib/config/index.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startAnthropicEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, RecordLines } from './recording-helpers.js';

/**
 * Regressions found by the recording round trip once it resumed answers
 * (`routing.resume_after_output`): the resume left out a candidate without a word. A prefill
 * candidate whose circuit was open was dropped from the resume's targets, and the one that
 * served was refused by its circuit (opened by the very failure being resumed), neither written
 * to the route's journal. So the record had no skip, its replay found the circuit closed,
 * resumed on that candidate and reported the exchange `unrecorded`; the span and
 * `/admin/routes` did not say why no resume came either. Now both are skips like routing's own,
 * and a replay refuses a candidate the recording attempted and then skipped for its circuit
 * once its recorded attempts are used.
 */
describe('regression: a resume that a circuit stops is recorded as a skip and replays', function () {
  this.timeout(30_000);
  let oc: Emulator;
  let an: Emulator;
  let lip: RunningLip;
  let config: Config;
  let dir: string;
  let lines: RecordLines;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-resume-circuits-'));
    const file = join(dir, 'traffic.jsonl');
    oc = await startOpenAIChatEmulator();
    an = await startAnthropicEmulator();
    const yaml = testConfigYaml([
      `  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }`,
      `  - { id: an, kind: anthropic, base_url: "${an.url}", api_key: k-0123456789 }`,
    ].join('\n'), [
      'routing: { default_route: "oc:m", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 60s }, resume_after_output: { enabled: true } }',
      `recording: { enabled: true, path: "${file}" }`,
    ].join('\n'));
    config = configFrom(yaml);
    lip = await startLip(config);
    lines = new RecordLines(file);
  });
  after(async () => {
    await lip.close();
    await oc.close();
    await an.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (model: string, requestId: string) => {
    await CLIENT_DRIVERS['openai-chat']!.run(lip.url, { model, stream: true, messages: [{ role: 'user', text: 'Hi' }], headers: { 'x-request-id': requestId } }).catch(() => undefined);
    const [record] = await eventually(() => lines.of(requestId), (r) => r.length > 0);
    return record!;
  };

  it('the candidate that served, its circuit opened by the break: the resume is a recorded skip', async () => {
    an.enqueue({ text: ['Once upon ', 'a time'], streamError: { message: 'overloaded mid-answer' } });
    const record = await send('an:claude', 'req-own-circuit');
    expect(record.attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['an:claude', 'failure']]);
    expect(record.skipped).to.deep.equal([{ candidate_key: 'an:claude', reason: 'circuit open' }]);
    expect((await replayExchange(record, config)).state).to.equal('same');
  });

  it('another prefill candidate whose circuit is open: left out of the resume as a recorded skip', async () => {
    // an:opus's circuit opens on this exchange's failure (a 503 before output, on its own).
    an.enqueue({ status: 503, error: { message: 'overloaded' } });
    await send('an:opus', 'req-open-first');
    oc.enqueue({ text: ['Once upon ', 'a time'], fault: { reset: 'after_output' } });
    const record = await send('oc:m|an:opus', 'req-other-circuit');
    expect(record.attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['oc:m', 'failure']]);
    expect(record.skipped).to.deep.equal([{ candidate_key: 'an:opus', reason: 'circuit open' }]);
    expect((await replayExchange(record, config)).state).to.equal('same');
  });
});
