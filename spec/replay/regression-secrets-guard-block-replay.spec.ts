import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords, replayFile } from './recording-helpers.js';

/**
 * Regression (found probing replays of recordings made with features): a request secrets-guard
 * blocked (`mode: block`, 400) is recorded with its body redacted by the guard's own traffic
 * redactor (`[REDACTED:aws_access_key_id]`), so replayed under the very config it was served with
 * the guard found nothing, routing opened a backend the recording never attempted, and the
 * exchange came back `unrecorded` (exit 1). Under `lip replay`, a block-mode guard takes its own
 * replacement for a match now; a live client sending that text is not blocked (and replays as
 * blocked: the recording cannot tell it from a redacted match).
 */

const BACKENDS = '  - { id: stub, kind: localstub, models: [m], text: "fine" }';
const guarded = (path: string, mode: string) => testConfigYaml(BACKENDS,
  `routing: { default_route: "stub:m" }\nrecording: { enabled: true, path: "${path}" }\nfeatures:\n  - { id: secrets-guard, config: { mode: ${mode} } }`);

describe('replay: a request secrets-guard blocked replays as blocked', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-guard-block-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const post = (url: string, id: string, stream: boolean, content: string) => fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: 'stub:m', stream, messages: [{ role: 'user', content }] }),
  });

  it('same under the config it was served with; a what-if in redact mode lets it through to a backend never attempted', async () => {
    const path = join(dir, 'traffic.jsonl');
    const yaml = guarded(path, 'block');
    const lip = await startLip(configFrom(yaml));
    try {
      for (const stream of [false, true]) expect((await post(lip.url, `blocked-${stream}`, stream, 'my key is AKIAIOSFODNN7EXAMPLE ok')).status).to.equal(400);
      // The guard's replacement sent by a client is no credential: served.
      expect((await post(lip.url, 'placeholder', false, 'my key is [REDACTED:aws_access_key_id] ok')).status).to.equal(200);
      await eventually(() => readRecords(path), (r) => r.length === 3);
    } finally {
      await lip.close();
    }
    expect(readFileSync(path, 'utf8')).to.not.contain('AKIAIOSFODNN7EXAMPLE');
    const same = await replayFile(path, yaml);
    // The one exchange whose client wrote the replacement itself cannot be told from a blocked one: blocked too (documented).
    expect(same.report.exchanges.map((e) => [e.request_id, e.state]).sort(), same.stderr).to.deep.equal([['blocked-false', 'same'], ['blocked-true', 'same'], ['placeholder', 'route-changed']]);
    const redact = await replayFile(path, guarded(path, 'redact'));
    expect(redact.report.exchanges.map((e) => [e.request_id, e.state, e.unrecorded]).sort()).to.deep.equal([
      ['blocked-false', 'unrecorded', ['stub:m']], ['blocked-true', 'unrecorded', ['stub:m']], ['placeholder', 'same', undefined],
    ]);
  });
});
