import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killLip, runLip, serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const SECRET = 'feature-check-secret-0123456789';
const HEAD = `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }\nlogging: { access_log: false }\ndiagnostics: { enabled: true, shared_secret: "${SECRET}" }\nbackends: [ { id: stub, kind: localstub } ]\n`;

/** Line 5 on: the feature rows (the same lines in every file, so the positions below hold). */
const BAD_FEATURES = [
  'features:',
  '  - id: compaction-continuity',
  '    enabled: true',
  '    config: { extractor: { timeout: 48h }, worker: { max_concurrency: 500 } }',
  '  - id: secrets-guard',
  '    config: { patterns: [ { id: p, regex: "(" } ] }',
  '  - id: pre-request-policy',
  '    config: { handlers: [ { id: judge, prompt_filename: p.md, model_routing_string: "stub:j" } ] }',
  '  - id: reasoning-output-preservation',
  '    config: { ttl: 0s }',
  '',
].join('\n');

/** Each problem of BAD_FEATURES as `lip check-config` prints it (lip runs in this process's working directory). */
const located = (path: string) => [
  `${path}:8:26: features[0].config.extractor: name the route the extraction is sent to (extractor.route), or set extractor.inherit: true to send it where the request went, or extractor.enabled: false`,
  `${path}:8:37: features[0].config.extractor.timeout: must be at most 24h (got 48h)`,
  `${path}:8:71: features[0].config.worker.max_concurrency: must be at most 128 (got 500)`,
  `${path}:10:43: features[1].config.patterns[0].regex: Invalid regular expression: /(/g: Unterminated group`,
  `${path}:12:27: features[2].config.handlers[0]: policy deny_on_pattern needs deny_pattern`,
  `${path}:12:57: features[2].config.handlers[0].prompt_filename: cannot read prompt file ${resolve('config/prompts/pre_request/p.md')}: ENOENT`,
  `${path}:14:20: features[3].config.ttl: must be longer than 0`,
];

/**
 * Found by probing: `lip check-config` said "configuration is valid" for feature configs that
 * `lip serve` then refused (a compaction-continuity timeout above 24h, a concurrency above 128, a
 * secrets-guard regex that does not compile, a pre-request-policy handler without the pattern
 * its policy tests, an extractor with neither route nor inherit). serve exited 1 with only the
 * first problem, unlocated and in raw milliseconds (`feature "compaction-continuity" could not be
 * built from its config: extractor.timeout must be at most 86400000`), and a reload only said
 * that it failed. Each feature's own rules now run when the config loads: every problem is
 * reported as `file:line:col: features[i].config.<path>: message`, durations in units, by
 * check-config, by serve and by a reload alike.
 */
describe('regression: feature configs are checked when the config loads (check-config, serve, reload)', function () {
  this.timeout(60_000);
  let dir: string;
  let lip: LipProcess | undefined;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-feature-check-')); });
  afterEach(() => killLip(lip));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check-config reports every problem of every feature row, located, and exits 1', async () => {
    const path = file('bad.yaml', HEAD + BAD_FEATURES);
    const r = await runLip(['check-config', '--config', path]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.not.contain('configuration is valid');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).to.equal('configuration is invalid (7 problems):');
    expect(lines.slice(1)).to.have.members(located(path));
  });

  it('serve refuses the file with the same located problems (not "could not be built", not raw ms)', async () => {
    const path = file('serve-bad.yaml', HEAD + BAD_FEATURES);
    const r = await runLip(['serve', '--config', path]);
    expect(r.code).to.equal(1);
    for (const line of located(path)) expect(r.stderr).to.contain(line);
    expect(r.stderr).to.not.contain('could not be built').and.not.contain('86400000');
  });

  it('a reload of such a file fails naming each problem, and keeps the running config', async () => {
    const path = file('reload.yaml', HEAD);
    lip = await serveLip(['--config', path]);
    writeFileSync(path, HEAD + BAD_FEATURES);
    const res = await httpRequest(`${(lip as LipProcess & { url: string }).url}/admin/config/reload`, { method: 'POST', body: '', headers: { 'x-lip-diagnostics-secret': SECRET } });
    const message = (JSON.parse(res.body) as { error: { message: string } }).error.message;
    expect(message).to.match(/^reload failed; the running configuration is kept: /);
    for (const line of located(path)) expect(message).to.contain(line);
    const status = await httpRequest(`${(lip as LipProcess & { url: string }).url}/healthz`, { method: 'GET' });
    expect(status.status).to.equal(200);
  });

  it('a feature config within its rules is valid, and so is a disabled row (never built)', async () => {
    const good = 'features:\n  - id: compaction-continuity\n    config: { extractor: { inherit: true, timeout: 24h }, worker: { max_concurrency: 128 } }\n  - { id: secrets-guard, enabled: false, config: { builtin: false } }\n';
    const r = await runLip(['check-config', '--config', file('good.yaml', HEAD + good)]);
    expect([r.code, r.stdout.trim()]).to.deep.equal([0, 'configuration is valid']);
  });
});
