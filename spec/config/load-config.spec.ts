import { expect } from 'chai';
import { ConfigError, formatIssue, loadConfigFile, parseConfig, type ConfigIssue } from '../../lib/config/index.js';
import { LOAD_OPTIONS, loadConfig } from '../../lib/cli/config-source.js';
import { isLipError } from '../../lib/errors/index.js';

const STUB = `
backends:
  - { id: stub, kind: localstub }
`;

function issues(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

function lines(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  return issues(yaml, env).map(formatIssue);
}

describe('config/loadConfig', () => {
  it('accepts the embedded default and fills every default', () => {
    const c = loadConfig(undefined);
    expect(c.source).to.equal('<embedded default>');
    expect(c.server).to.deep.equal({ host: '127.0.0.1', port: 8080, max_request_body_bytes: 8 * 1024 * 1024, max_concurrent_requests: 0, max_background_responses: 256, batch_concurrency: 4, max_batch_requests: 10_000, max_running_batches: 64, max_running_batches_per_principal: 64, max_batch_body_bytes: 32 * 1024 * 1024, shutdown_timeout: 15_000, drain_delay: 5_000, keepalive_interval: 15_000, max_buffered_bytes: 1024 * 1024, read_timeout: 30_000, read_header_timeout: 10_000, idle_timeout: 120_000, max_concurrent_decodes: 32, max_inflight_decode_bytes: 64 * 1024 * 1024, max_pending_wire_events: 10_000, pre_request_keepalive: { enabled: false, interval: 15_000 }, allowed_hosts: [], allowed_origins: [], security_headers: true, websocket_max_age: 3_600_000 });
    expect(c.identity).to.deep.equal({ upstream: { user_agent: { mode: 'proxy' }, app_url: { mode: 'proxy' }, app_title: { mode: 'proxy' } }, downstream: { server: { mode: 'proxy' } } });
    expect(c.routing.default_route).to.equal('stub:stub-default');
    expect(c.frontends.map((f) => f.id)).to.deep.equal(['openai-responses', 'openai-chat', 'anthropic', 'gemini']);
    expect(c.backends[0]).to.include({ id: 'stub', kind: 'localstub', enabled: true, chunks: 8 });
    expect(c.continuity).to.deep.equal({ store: 'memory', sqlite_path: './lip.db', ttl: 86_400_000, max_legs: 100_000, max_response_bytes: 256 * 1024 * 1024, resume_window: 604_800_000, client_session_ids: false, lineage: 'all' });
    expect(c.http_client.body_timeout).to.equal(300_000);
  });

  it('reports a typo with its position and the nearest valid key', () => {
    expect(lines(`server:\n  host: 127.0.0.1\n  prot: 8080\n${STUB}`)).to.deep.equal([
      'lip.yaml:3:3: server.prot: unknown key "prot" (did you mean "port"?)',
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    expect(lines(`logging:\n  zzzzzz: 1\n${STUB}`)[0]).to.match(/logging\.zzzzzz: unknown key "zzzzzz"; allowed keys: level, format, access_log, include_raw_path, access_log_skip_paths$/);
  });

  it('reports wrong types with what was found', () => {
    expect(lines(`server:\n  port: eighty\n${STUB}`)).to.deep.equal(['lip.yaml:2:9: server.port: must be an integer (got "eighty")']);
    expect(lines(`routing: [1, 2]\n${STUB}`)).to.deep.equal(['lip.yaml:1:10: routing: must be a mapping (got a list)']);
  });

  it('reports bad durations and sizes', () => {
    expect(lines(`server:\n  shutdown_timeout: soon\n  max_request_body_bytes: lots\n${STUB}`)).to.deep.equal([
      'lip.yaml:2:21: server.shutdown_timeout: must be a duration such as 250ms, 30s or 5m (got "soon")',
      'lip.yaml:3:27: server.max_request_body_bytes: must be a size in bytes or such as 512KiB or 8MiB (got "lots")',
    ]);
  });

  it('bounds the batch settings (server.batch_concurrency, max_batch_requests, max_running_batches, max_batch_body_bytes)', () => {
    const c = parseConfig(`server: { batch_concurrency: 0, max_batch_requests: 100000, max_running_batches: 1, max_batch_body_bytes: 1MiB }\n${STUB}`, 'x', LOAD_OPTIONS);
    expect([c.server.batch_concurrency, c.server.max_batch_requests, c.server.max_running_batches, c.server.max_batch_body_bytes]).to.deep.equal([0, 100_000, 1, 1_048_576]);
    expect(lines(`server:\n  batch_concurrency: -1\n  max_batch_requests: 100001\n  max_running_batches: 0\n${STUB}`)).to.deep.equal([
      'lip.yaml:2:22: server.batch_concurrency: must be >= 0 (got -1)',
      'lip.yaml:3:23: server.max_batch_requests: must be <= 100000 (got 100001)',
      'lip.yaml:4:24: server.max_running_batches: must be >= 1 (got 0)',
    ]);
  });

  it('gives each principal a share of the running batches: half of them with keys of several principals, all with one; a share above the whole is an error', () => {
    const keys = (...principals: string[]) => `auth: { api_keys: [${principals.map((p, i) => `{ id: k${i}, key: "key-${i}-0123456789abcdef", principal: ${p} }`).join(', ')}] }`;
    const share = (yaml: string) => parseConfig(`${yaml}\n${STUB}`, 'x', LOAD_OPTIONS).server.max_running_batches_per_principal;
    expect([
      share('server: { max_running_batches: 5 }'),
      share(`server: { max_running_batches: 5 }\n${keys('alice', 'alice')}`),
      share(`server: { max_running_batches: 5 }\n${keys('alice', 'bob')}`),
      share(`${keys('alice', 'bob')}`),
      share(`server: { max_running_batches: 5, max_running_batches_per_principal: 5 }\n${keys('alice', 'bob')}`),
    ]).to.deep.equal([5, 5, 3, 32, 5]);
    expect(lines(`server:\n  max_running_batches: 4\n  max_running_batches_per_principal: 5\n${STUB}`)).to.deep.equal([
      'lip.yaml:3:38: server.max_running_batches_per_principal: must not exceed server.max_running_batches (4): a principal cannot run more batches than the server',
    ]);
    expect(lines(`server:\n  max_running_batches_per_principal: 0\n${STUB}`)).to.deep.equal(['lip.yaml:2:38: server.max_running_batches_per_principal: must be >= 1 (got 0)']);
  });

  it('converts durations to milliseconds and sizes to bytes', () => {
    const c = parseConfig(`server: { shutdown_timeout: 1.5s, keepalive_interval: 250ms, max_request_body_bytes: 1MiB }\ncontinuity: { ttl: 2h }\n${STUB}`, 'x', LOAD_OPTIONS);
    expect([c.server.shutdown_timeout, c.server.keepalive_interval, c.server.max_request_body_bytes, c.continuity.ttl]).to.deep.equal([1500, 250, 1_048_576, 7_200_000]);
  });

  it('reports every problem at once, in file order', () => {
    const all = lines(`
server:
  prot: 1
logging:
  format: jsn
routing:
  max_attempts: 0
backends:
  - id: stub
    kind: localstub
    chunk: 3
    first_token_delay: quickly
  - id: other
    kind: localstb
`);
    expect(all.slice(0, 5)).to.deep.equal([
      'lip.yaml:3:3: server.prot: unknown key "prot" (did you mean "port"?)',
      'lip.yaml:5:11: logging.format: must be one of json, text (got "jsn"); did you mean "json"?',
      'lip.yaml:7:17: routing.max_attempts: must be >= 1 (got 0)',
      'lip.yaml:11:5: backends[0].chunk: unknown key "chunk" (did you mean "chunks"?)',
      'lip.yaml:12:24: backends[0].first_token_delay: must be a duration such as 250ms, 30s or 5m (got "quickly")',
    ]);
    expect(all[5]).to.match(/^lip\.yaml:14:11: backends\[1\]\.kind: unknown backend kind "localstb" \(did you mean "localstub"\?\); known kinds: localstub(, [a-z-]+)*$/);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(lines('server:\n  port: 80\n   host: x\n')[0]).to.equal('lip.yaml:2:9: Nested mappings are not allowed in compact mappings');
    expect(lines('backends: [\n')[0]).to.match(/^lip\.yaml:2:1: /);
  });

  it('reports a mapping or a list used as a key at its own position (not a made-up string key)', () => {
    expect(lines(`${STUB}? { st: 127.0.0.1 }\n: 1\n`)).to.deep.equal(['lip.yaml:4:3: a key must be a name, not a mapping']);
    expect(lines(`${STUB}server:\n  [a, b]: 1\n`)).to.deep.equal(['lip.yaml:5:3: a key must be a name, not a list']);
  });

  it('checks URLs by parsing them: a bad port, white space, no host or another scheme is reported at the key', () => {
    const row = (url: string) => `backends:\n  - { id: up, kind: openai-chat, api_key: sk-test-1234567890abcdef, base_url: "${url}" }\n`;
    const http = 'must be an http:// or https:// URL such as https://api.example.com/v1';
    expect(lines(row('http://:99999'))).to.deep.equal([`lip.yaml:2:79: backends[0].base_url: ${http}: it is not a valid URL (got "http://:99999")`]);
    expect(lines(row('http://exa mple.com'))[0]).to.contain(`${http}: it contains white space`);
    expect(lines(row('https://'))[0]).to.contain(`${http}: it is not a valid URL`);
    expect(lines(row('ftp://files.example.com'))[0]).to.contain(`${http}: the scheme is ftp`);
    expect(parseConfig(row('http://127.0.0.1:8080/v1'), 'lip.yaml', LOAD_OPTIONS).backends[0]!.base_url).to.equal('http://127.0.0.1:8080/v1');
    // It failed on every request (base_url) or ended the process at start (redis.url).
    expect(lines(`${STUB}redis: { url: "redis://:99999" }\n`)).to.deep.equal(['lip.yaml:4:15: redis.url: must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379: it is not a valid URL (got "redis://:99999")']);
  });

  it('reports a missing required key at its parent', () => {
    expect(lines('backends:\n  - { kind: localstub }\n')).to.deep.equal(['lip.yaml:2:5: backends[0]: missing required key "id"']);
  });

  it('rejects duplicate backend ids and a config without enabled backends', () => {
    expect(lines('backends:\n  - { id: a, kind: localstub }\n  - { id: a, kind: localstub }\n')).to.deep.equal([
      'lip.yaml:3:11: backends[1].id: duplicate backend id "a" (first used by backends[0])',
    ]);
    expect(lines('backends:\n  - { id: a, kind: localstub, enabled: false }\n')[0]).to.contain('no backend is enabled');
  });

  it('derives the default route from the first enabled backend', () => {
    const c = parseConfig('backends:\n  - { id: off, kind: localstub, enabled: false }\n  - { id: s, kind: localstub, models: [m1, m2] }\n', 'x', LOAD_OPTIONS);
    expect(c.routing.default_route).to.equal('s:m1');
  });

  it('rejects a default route naming an unknown backend', () => {
    expect(lines(`routing:\n  default_route: "nope:m"\n${STUB}`)[0]).to.match(/^lip\.yaml:2:18: routing\.default_route: names the backend "nope", which is not configured/);
  });

  it('rejects alias patterns that do not compile', () => {
    expect(lines(`model_aliases:\n  - { pattern: "(", replacement: "stub:x" }\n${STUB}`)[0]).to.match(/model_aliases\[0\]\.pattern: invalid regular expression/);
  });

  it('resolves *_env secrets and reports missing variables', () => {
    const yaml = `auth:\n  api_keys:\n    - { id: k1, key_env: LIP_TEST_KEY }\n${STUB}`;
    const c = parseConfig(yaml, 'x', { ...LOAD_OPTIONS, env: { LIP_TEST_KEY: 'a-very-long-client-key' } });
    expect(c.auth.api_keys).to.deep.equal([{ id: 'k1', key: 'a-very-long-client-key', principal: 'k1' }]);
    expect(lines(yaml, {})).to.deep.equal(['lip.yaml:3:17: auth.api_keys[0].key_env: environment variable LIP_TEST_KEY is not set']);
  });

  it('requires API keys of at least 16 characters, and auth beyond loopback', () => {
    expect(lines(`auth:\n  api_keys:\n    - { id: k, key: short }\n${STUB}`)[0]).to.contain('at least 16 characters');
    expect(lines(`server:\n  host: 0.0.0.0\n${STUB}`)).to.deep.equal(['lip.yaml:2:9: server.host: single_user mode binds loopback only (127.0.0.0/8, ::1, localhost), not "0.0.0.0"; a server others reach needs access.mode: multi_user with auth.api_keys and lip serve --multi-user']);
    expect(lines(`access:\n  mode: multi_user\n${STUB}`)[0]).to.contain('multi_user needs auth.api_keys');
  });

  it('requires a diagnostics secret beyond loopback', () => {
    const yaml = `access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\nauth: { api_keys: [ { id: k, key: 0123456789abcdef } ] }\ndiagnostics: { enabled: true }\n${STUB}`;
    expect(lines(yaml)).to.deep.equal(['lip.yaml:4:14: diagnostics: shared_secret: required (at least 12 characters) in multi_user mode when exposing diagnostics (/admin/*: attempts, routes, circuits, inventory, transcripts) (a client key alone is never the operator)']);
  });

  it('continuity session keys: the resume-token key is at least 32 characters, inline or from the environment', () => {
    expect(lines(`continuity: { resume_token_key: short }\n${STUB}`)[0]).to.match(/continuity.*resume_token_key must have at least 32 characters/);
    expect(lines(`continuity: { resume_token_key_env: LIP_TEST_RESUME_KEY }\n${STUB}`)[0]).to.contain('environment variable LIP_TEST_RESUME_KEY is not set');
    const c = parseConfig(`continuity: { resume_token_key_env: K, resume_window: 2h, client_session_ids: true }\n${STUB}`, 'x', { ...LOAD_OPTIONS, env: { K: 'k'.repeat(32) } });
    expect(c.continuity).to.deep.include({ resume_token_key: 'k'.repeat(32), resume_window: 7_200_000, client_session_ids: true });
    expect(c.continuity).not.to.have.property('resume_token_key_env');
    expect(lines(`continuity: { client_session_ids: yes }\n${STUB}`)[0]).to.contain('continuity.client_session_ids');
  });

  it('validates localstub knobs', () => {
    expect(lines('backends:\n  - { id: s, kind: localstub, fail: sometimes }\n')).to.deep.equal([
      'lip.yaml:2:37: backends[0].fail: must be before_output:STATUS (e.g. before_output:503), after_output or stall (got "sometimes")',
    ]);
  });

  it('rejects unknown features', () => {
    expect(lines(`features:\n  - { id: magic }\n${STUB}`)[0]).to.contain('unknown feature "magic"');
  });

  it('fails with LIP_ERR_CONFIG_UNREADABLE for a missing file', () => {
    try {
      loadConfigFile('/nonexistent/lip.yaml', LOAD_OPTIONS);
      expect.fail('should throw');
    } catch (err) {
      expect(isLipError(err) && err.code).to.equal('LIP_ERR_CONFIG_UNREADABLE');
    }
  });
  it('checks server.allowed_hosts and allowed_origins entries (a host name; an origin without a path)', () => {
    const ok = parseConfig(`server: { allowed_hosts: ["lip.internal", "[::1]"], allowed_origins: ["https://ui.example.com:8443"] }${STUB}`, 'lip.yaml', LOAD_OPTIONS);
    expect([ok.server.allowed_hosts, ok.server.allowed_origins]).to.deep.equal([['lip.internal', '[::1]'], ['https://ui.example.com:8443']]);
    expect(lines('server: { allowed_hosts: ["http://lip.internal"] }').join('\n')).to.contain('server.allowed_hosts[0]');
    expect(lines('server: { allowed_origins: ["https://ui.example.com/app"] }').join('\n')).to.contain('server.allowed_origins[0]');
  });
});
