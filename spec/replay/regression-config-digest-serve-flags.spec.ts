import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LipEvent } from '../../lib/canonical/index.js';
import { workerRecordingPath } from '../../lib/cli/cluster/messages.js';
import type { Config } from '../../lib/config/index.js';
import type { ExchangeRecord, TimedEvent } from '../../lib/replay/record-format.js';
import { configDigest } from '../../lib/replay/recorder.js';
import { configFrom } from '../helpers/config.js';
import { replayFile } from './recording-helpers.js';

/**
 * Regression (found probing recording in operation): `lip serve --port`, `--host` and
 * `--workers` changed the config the recorder fingerprints (the listener's address; under
 * `--workers` each worker's own recording path), so the traffic of such a server, replayed under
 * the very file it served, was never "the config the exchange ran with", and its race losers came
 * back `unrecorded`. The digest leaves out what only listens, logs, traces or records now.
 */

const YAML = [
  'server: { host: 127.0.0.1, port: 0 }',
  'logging: { access_log: false }',
  'model_aliases: [{ pattern: "^late$", replacement: "[handicap=10ms]up:a!up:b" }]',
  'backends:',
  '  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9", api_key: "k" }',
  'recording: { enabled: true, path: /var/lib/lip/traffic.jsonl }',
  '',
].join('\n');

/** The config a worker of `lip serve --workers 2 --host 0.0.0.0 --port 4711` runs (serve.ts withOverrides). */
function asServed(config: Config): Config {
  return {
    ...config, server: { ...config.server, host: '0.0.0.0', port: 4711 },
    recording: { ...config.recording, path: workerRecordingPath(config.recording.path, 1) },
  };
}

describe('replay: the config digest does not depend on lip serve\'s flags', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-digest-flags-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves out where lip listens, what it logs, traces and records; anything else counts', () => {
    const config = configFrom(YAML);
    expect(configDigest(asServed(config))).to.equal(configDigest(config));
    const ops = configFrom(YAML
      .replace('access_log: false', 'access_log: true, level: debug')
      .replace('path: /var/lib/lip/traffic.jsonl', 'path: /tmp/other.jsonl, sample_ratio: 0.5, max_files: 2')
      .concat('diagnostics: { enabled: true, listen: "127.0.0.1:9901" }\nobservability: { metrics: { enabled: true } }\n'));
    expect(configDigest(ops)).to.equal(configDigest(config));
    expect(configDigest(configFrom(YAML.replace('10ms', '20ms')))).to.not.equal(configDigest(config));
    expect(configDigest(configFrom(YAML.replace('port: 0 }', 'port: 0, max_request_body_bytes: 1024 }')))).to.not.equal(configDigest(config));
  });

  it('lip replay -c of the served file replays a late handicap timer of a --workers --port server as same', async () => {
    // Leg b answered 12 ms after the race started; leg a's 10 ms handicap timer fired too late to open it.
    const opening: LipEvent[] = [{ type: 'response_started', model: 'm' }, { type: 'message_started' }];
    const events: TimedEvent[] = [...opening.map((e) => [1, e] as const), [13, { type: 'text_delta', text: 'from b' }], [15, { type: 'response_finished', reason: 'stop' }]];
    const record: ExchangeRecord = {
      v: 1, id: 'rec_late', request_id: 'req_late', at: '2026-12-01T00:00:00.000Z', frontend: 'openai-chat', principal: 'local',
      session_id: null, a_leg_id: null, config_digest: configDigest(asServed(configFrom(YAML))),
      request: { method: 'POST', path: '/v1/chat/completions', headers: {}, body: { model: 'late', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
      selector: '[handicap=10ms]up:a!up:b', selector_source: 'alias', served: 'up:b',
      attempts: [{
        seq: 1, b_leg_id: null, candidate_key: 'up:b', backend_id: 'up', role: 'served', started_ms: 1, first_output_ms: 13,
        finished_ms: 15, outcome: 'success', reason: null, http_status: null, retryable: null, call: null, events,
      }],
      client: { status: 200, headers: {}, events, error: null, finished_ms: 16 },
    };
    const file = join(dir, 'traffic.w1.jsonl');
    writeFileSync(file, `${JSON.stringify(record)}\n`);
    const { code, report, stderr } = await replayFile(file, YAML);
    expect(report.exchanges.map((e) => [e.state, e.unrecorded]), stderr).to.deep.equal([['same', undefined]]);
    expect(code).to.equal(0);
  });
});
