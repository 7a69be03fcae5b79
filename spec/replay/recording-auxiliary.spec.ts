import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExtensionHost, MemoryStateStore } from '../../lib/extensions/index.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords, replayFile } from './recording-helpers.js';

/**
 * An exchange's auxiliary calls (here a `pre-request-policy` judge) are recorded with it, and a
 * replay answers them from the recording. Before, a judge's call was not recorded: every
 * exchange of a config with a judge replayed as `unrecorded` (the judge's candidate). `lip
 * replay` (4 exchanges at once by default) now gives each worker its own extension host, whose
 * auxiliary calls a replay binds to its own executor.
 */
describe('recording: auxiliary calls are recorded and replayed', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-aux-'));
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'safety.md'), 'Answer VERDICT: DENY for anything unsafe.');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** lip with a judge on its own backend; `denyPattern` decides what the judge's answer ("Hello from localstub.") does. */
  const yaml = (path: string, denyPattern: string, handlers = 1, moreFeatures = '') => testConfigYaml(
    '  - { id: stub, kind: localstub, models: [m] }\n  - { id: judge, kind: localstub, models: [j] }',
    [
      'routing: { default_route: "stub:m" }',
      `recording: { enabled: true, path: "${path}" }`,
      'features:',
      '  - id: pre-request-policy',
      '    config:',
      `      prompt_dir: "${join(dir, 'prompts')}"`,
      `      handlers: [${Array.from({ length: handlers }, (_, i) => `{ id: safety${i}, prompt_filename: safety.md, model_routing_string: "judge:j", deny_pattern: "${denyPattern}" }`).join(', ')}]`,
      moreFeatures,
    ].join('\n'),
  );
  const post = (url: string, stream: boolean) => fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'stub:m', stream, messages: [{ role: 'user', content: 'x' }] }),
  });

  for (const [verdict, denyPattern, status] of [['allows', 'VERDICT: DENY', 200], ['denies', 'localstub', 403]] as const) {
    it(`a judge that ${verdict}: its call is in the record, and the exchange replays as same`, async () => {
      const path = join(dir, `${verdict}.jsonl`);
      const text = yaml(path, denyPattern);
      const config = configFrom(text);
      const lip = await startLip(config);
      try {
        for (const stream of [false, true]) {
          const res = await post(lip.url, stream);
          expect(res.status).to.equal(status);
          await res.text();
        }
      } finally {
        await lip.close();
      }
      const records = await eventually(() => readRecords(path), (r) => r.length === 2);
      for (const record of records) {
        expect(record.auxiliary?.map((a) => a.request_id)).to.deep.equal([`${record.request_id}.aux-pre_request-1`]);
        expect(record.auxiliary![0]!.attempts.map((a) => [a.candidate_key, a.outcome, a.role])).to.deep.equal([['judge:j', 'success', 'served']]);
        expect(record.auxiliary![0]!.attempts[0]!.events.some(([, e]) => e.type === 'text_delta')).to.equal(true);
        expect(record.attempts.map((a) => a.candidate_key)).to.deep.equal(status === 200 ? ['stub:m'] : []);
        const extensions = createExtensionHost(config, { state: new MemoryStateStore() });
        const result = await replayExchange(record, config, extensions ? { extensions } : {});
        await extensions?.stop();
        expect(result.state, JSON.stringify(result)).to.equal('same');
      }
      // Without the recorded call (a record written before auxiliary calls were kept) the replay cannot answer the judge.
      const older = { ...records[0]!, auxiliary: undefined };
      const extensions = createExtensionHost(config, { state: new MemoryStateStore() });
      expect(await replayExchange(older, config, extensions ? { extensions } : {})).to.deep.include({ state: 'unrecorded', unrecorded: ['judge:j'] });
      await extensions?.stop();
    });
  }

  it('with a plugin traffic redactor registered (the recorder fed observations), the judge\'s call is recorded too', async () => {
    const path = join(dir, 'observed.jsonl');
    const config = configFrom(yaml(path, 'VERDICT: DENY', 1, '  - { id: ref-traffic-transcript, config: { redact_substrings: [localstub] } }'));
    const lip = await startLip(config);
    try {
      expect((await post(lip.url, false)).status).to.equal(200);
    } finally {
      await lip.close();
    }
    const [record] = await eventually(() => readRecords(path), (r) => r.length === 1);
    expect(record!.auxiliary![0]!.attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['judge:j', 'success']]);
    expect(JSON.stringify(record!.auxiliary)).not.to.contain('localstub').and.to.contain('[REDACTED]');
  });

  it('lip replay replays exchanges with auxiliary calls several at once, each with its own', async () => {
    const path = join(dir, 'many.jsonl');
    // Two judges one after the other: the second call starts after the first has answered, while other exchanges replay.
    const text = yaml(path, 'VERDICT: DENY', 2);
    const lip = await startLip(configFrom(text));
    try {
      await Promise.all(Array.from({ length: 12 }, async (_, i) => (await post(lip.url, i % 2 === 0)).text()));
    } finally {
      await lip.close();
    }
    const records = await eventually(() => readRecords(path), (r) => r.length === 12);
    for (const r of records) expect(r.auxiliary?.map((a) => a.request_id.slice(r.request_id.length))).to.deep.equal(['.aux-pre_request-1', '.aux-pre_request-2']);
    const { code, report, stderr } = await replayFile(path, text);
    expect(report.exchanges.filter((e) => e.state !== 'same'), stderr).to.deep.equal([]);
    expect(report.summary).to.deep.include({ total: 12, same: 12 });
    expect(code).to.equal(0);
  });
});
