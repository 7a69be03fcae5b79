import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LipEvent } from '../../lib/canonical/index.js';
import { loadConfig } from '../../lib/cli/config-source.js';
import type { ExchangeRecord, TimedEvent } from '../../lib/replay/record-format.js';
import { configDigest } from '../../lib/replay/recorder.js';
import { configFrom } from '../helpers/config.js';
import { replayFile } from './recording-helpers.js';

/**
 * Regression (found while fuzzing recording and `lip replay`): a record's `config_digest` hashed
 * the config's `source`, the path it was read from, so the config `lip serve` ran under, read
 * by `lip replay -c` from a copy (or under another name), was never "the config the exchange ran
 * with", and what a replay excuses only under that config (a handicapped leg whose real timer
 * fired late) came back `unrecorded`. The path is no part of the digest now.
 */

const YAML = 'model_aliases: [{ pattern: "^late$", replacement: "[handicap=10ms]up:a!up:b" }]\nbackends:\n  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }\n';

describe('replay: the config digest does not depend on where the config was read from', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-digest-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the same YAML read from two paths has one digest; another config has another', () => {
    for (const name of ['lip.yaml', 'copy.yaml']) writeFileSync(join(dir, name), YAML);
    const [first, copy] = [loadConfig(join(dir, 'lip.yaml')), loadConfig(join(dir, 'copy.yaml'))];
    expect(first.source).to.not.equal(copy.source);
    expect(configDigest(first)).to.equal(configDigest(copy));
    expect(configDigest(configFrom(YAML))).to.equal(configDigest(first));
    expect(configDigest(configFrom(YAML.replace('10ms', '20ms')))).to.not.equal(configDigest(first));
  });

  it('lip replay -c of a copy replays a late handicap timer as same, as the config it ran with', async () => {
    // Leg b answered 12 ms after the race started; leg a's 10 ms handicap timer fired too late to open it.
    const opening: LipEvent[] = [{ type: 'response_started', model: 'm' }, { type: 'message_started' }];
    const events: TimedEvent[] = [...opening.map((e) => [1, e] as const), [13, { type: 'text_delta', text: 'from b' }], [15, { type: 'response_finished', reason: 'stop' }]];
    const record: ExchangeRecord = {
      v: 1, id: 'rec_late', request_id: 'req_late', at: '2026-12-01T00:00:00.000Z', frontend: 'openai-chat', principal: 'local',
      session_id: null, a_leg_id: null, config_digest: configDigest(configFrom(YAML)),
      request: { method: 'POST', path: '/v1/chat/completions', headers: {}, body: { model: 'late', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
      selector: '[handicap=10ms]up:a!up:b', selector_source: 'alias', served: 'up:b',
      attempts: [{
        seq: 1, b_leg_id: null, candidate_key: 'up:b', backend_id: 'up', role: 'served', started_ms: 1, first_output_ms: 13,
        finished_ms: 15, outcome: 'success', reason: null, http_status: null, retryable: null, call: null, events,
      }],
      client: { status: 200, headers: {}, events, error: null, finished_ms: 16 },
    };
    const file = join(dir, 'traffic.jsonl');
    writeFileSync(file, `${JSON.stringify(record)}\n`);
    const { code, report, stderr } = await replayFile(file, YAML);
    expect(report.exchanges.map((e) => [e.state, e.unrecorded]), stderr).to.deep.equal([['same', undefined]]);
    expect(code).to.equal(0);
  });
});
