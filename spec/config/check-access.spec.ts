import { expect } from 'chai';
import { ConfigError, checkAccess, formatIssue, parseConfig, reloadProblems, type Config } from '../../lib/config/index.js';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { NOT_IMPLEMENTED } from '../../lib/config/not-implemented.js';

const STUB = 'backends:\n  - { id: stub, kind: localstub }\n';
const KEYS = 'auth: { api_keys: [ { id: k, key: 0123456789abcdef } ] }\n';
const SECRET = 'a-long-diagnostics-secret';

function load(yaml: string, options = LOAD_OPTIONS): Config {
  return parseConfig(yaml + STUB, 'lip.yaml', { ...options, env: {} });
}

function problems(yaml: string, options = LOAD_OPTIONS): string[] {
  try {
    load(yaml, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

describe('config/check-access', () => {
  it('single_user binds loopback only, whatever the auth', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost', '[::1]']) expect(problems(`server: { host: "${host}" }\n`), host).to.deep.equal([]);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com']) {
      const found = problems(`server: { host: "${host}" }\n${KEYS}`);
      expect(found, host).to.have.length(1);
      expect(found[0]).to.contain(`server.host: single_user mode binds loopback only (127.0.0.0/8, ::1, localhost), not "${host}"`);
    }
  });

  it('multi_user needs keys; with them a public bind is allowed', () => {
    expect(problems('access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n')).to.deep.equal(['lip.yaml:1:17: access.mode: multi_user needs auth.api_keys']);
    expect(problems(`access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}`)).to.deep.equal([]);
  });

  it('multi_user refuses backend kinds that spawn processes or read local credentials (a per-kind flag)', () => {
    const kinds = { ...LOAD_OPTIONS.backendKinds, localstub: { ...LOAD_OPTIONS.backendKinds.localstub!, local: true } };
    const options = { ...LOAD_OPTIONS, backendKinds: kinds };
    expect(problems(`access: { mode: multi_user }\n${KEYS}`, options)).to.deep.equal([
      'lip.yaml:4:23: backends[0].kind: backend kind "localstub" runs local processes or reads local credentials, which multi_user mode refuses (serve it in single_user mode)',
    ]);
    expect(problems('', options)).to.deep.equal([]);
  });

  it('an operator surface beyond loopback needs a secret of 12+ characters, naming every surface', () => {
    const surfaces = 'diagnostics: { enabled: true, pprof_path: /debug/pprof }\nobservability: { metrics: { enabled: true } }\n';
    const found = problems(`access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}${surfaces}`);
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/diagnostics: shared_secret: required \(at least 12 characters\) .*diagnostics \(\/admin\/\*.*metrics \(\/metrics\), profiling \(\/debug\/pprof\)/);
    // /metrics alone beyond loopback is enough to need it.
    expect(problems(`access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}observability: { metrics: { enabled: true } }\n`)[0]).to.contain('when exposing metrics (/metrics)');
    expect(problems(`diagnostics: { enabled: true, shared_secret: "short-one" }\n`)[0]).to.contain('diagnostics.shared_secret: must have at least 12 characters');
    expect(problems(`access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}${surfaces.replace('enabled: true,', `enabled: true, shared_secret: ${SECRET},`)}`)).to.deep.equal([]);
    // Loopback in single_user may leave it out.
    expect(problems(surfaces)).to.deep.equal([]);
  });

  it('a separate operator listener on loopback keeps a public protocol listener free of the rule', () => {
    const base = `access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}observability: { metrics: { enabled: true } }\n`;
    expect(problems(`${base}diagnostics: { listen: "127.0.0.1:9464", shared_secret: ${SECRET} }\n`)).to.deep.equal([]);
    expect(problems(`${base}diagnostics: { listen: "0.0.0.0:9464" }\n`)[0]).to.contain("shared_secret: required");
    expect(problems('diagnostics: { listen: "nine" }\n')[0]).to.contain('diagnostics.listen: must be host:port, for example 127.0.0.1:9464 (got "nine")');
    expect(problems('diagnostics: { listen: "0.0.0.0:9464" }\n')[0]).to.contain('diagnostics.listen: single_user mode binds loopback only');
  });

  it('operator paths are checked against each other, health and every protocol route', () => {
    expect(problems('diagnostics: { enabled: true, admin_path: /v1 }\n')[0]).to.contain('diagnostics.admin_path: "/v1" overlaps a protocol route ("/v1/responses")');
    expect(problems('diagnostics: { pprof_path: /admin/pprof }\n')[0]).to.contain('diagnostics.pprof_path: "/admin/pprof" overlaps diagnostics.admin_path ("/admin")');
    expect(problems('observability: { metrics: { enabled: true, path: /healthz } }\n')[0]).to.contain('observability.metrics.path: "/healthz" overlaps the health endpoints ("/healthz")');
    expect(problems('diagnostics: { pprof_path: /v1beta/models/x }\n')[0]).to.contain('overlaps a protocol route ("/v1beta/models/")');
    expect(problems('diagnostics: { pprof_path: /debug/../admin }\n')[0]).to.contain('must be an absolute path without ".."');
    expect(problems('diagnostics: { enabled: true, admin_path: /ops, pprof_path: /debug/pprof }\n')).to.deep.equal([]);
  });

  it('decode admission: the byte budget holds at least one body of the allowed size', () => {
    expect(problems('server: { max_request_body_bytes: 2MiB, max_inflight_decode_bytes: 1MiB }\n')[0]).to.contain('server.max_inflight_decode_bytes: must be at least server.max_request_body_bytes (2097152 bytes)');
    expect(problems('server: { max_buffered_bytes: 0 }\n')[0]).to.contain('server.max_buffered_bytes: must be at least 64KiB (got 0 bytes)');
    // A batch create or an upload (its form's 64 KiB too) too: found by the batches probe, such a body was accepted in the config and refused (429) for ever.
    expect(problems('server:\n  max_batch_body_bytes: 64MiB\n')).to.deep.equal([
      "lip.yaml:2:3: server.max_inflight_decode_bytes: must be at least server.max_batch_body_bytes plus 64 KiB for an upload's form (67174400 bytes), or no batch create or file upload of the allowed size could be decoded (each would be refused)",
    ]);
    expect(problems('server: { max_batch_body_bytes: 16MiB, max_inflight_decode_bytes: 16MiB }\n')[0]).to.match(/^lip\.yaml:1:67: server\.max_inflight_decode_bytes: must be at least server\.max_batch_body_bytes plus 64 KiB/);
    expect(problems('server: { max_batch_body_bytes: 16MiB, max_inflight_decode_bytes: 16448KiB }\n')).to.deep.equal([]);
  });

  it('runs on final settings: a flag-given host is held to the same rule (checkAccess on the merged config)', () => {
    const config = load(KEYS);
    expect(checkAccess(config)).to.deep.equal([]);
    const final = { ...config, server: { ...config.server, host: '0.0.0.0' } };
    expect(checkAccess(final).map((p) => p.message)[0]).to.contain('single_user mode binds loopback only');
    const withMetrics = { ...final, access: { mode: 'multi_user' as const }, observability: { ...config.observability, metrics: { enabled: true, path: '/metrics' } } };
    expect(checkAccess(withMetrics).map((p) => p.message)[0]).to.contain('shared_secret: required');
  });

  it('a reload that changes the listener or the mode is refused whole, and says a restart is needed', () => {
    const running = load(`access: { mode: multi_user }\nserver: { host: 0.0.0.0 }\n${KEYS}`);
    const loopback = load('server: { host: 127.0.0.1 }\n');
    expect(reloadProblems(running, loopback)).to.deep.equal(['server.host, access.mode changed: this needs a restart (the running server keeps its configuration)']);
    expect(reloadProblems(running, load(`access: { mode: multi_user }\nserver: { host: 0.0.0.0, port: 9000 }\n${KEYS}`))[0]).to.match(/^server\.port changed: this needs a restart/);
    expect(reloadProblems(running, load(`access: { mode: multi_user }\nserver: { host: 0.0.0.0, max_request_body_bytes: 1MiB }\n${KEYS}`))).to.deep.equal([]);
  });
});

describe('config/not-implemented', () => {
  it('nothing accepted is unbuilt any more: tracing (the last entry) loads either way', () => {
    expect(NOT_IMPLEMENTED).to.deep.equal([]);
    expect(problems('observability: { tracing: { enabled: true } }\n')).to.deep.equal([]);
    expect(problems('observability: { tracing: { enabled: false } }\n')).to.deep.equal([]);
  });
});
