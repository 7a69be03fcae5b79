import { expect } from 'chai';
import { configWarnings } from '../../lib/core/config-warnings.js';
import { configFrom } from '../helpers/config.js';

const base = 'server: { host: 127.0.0.1, port: 0 }\n';
const warn = (yaml: string, env: NodeJS.ProcessEnv = {}) => configWarnings(configFrom(base + yaml, env), env);

describe('configWarnings', () => {
  it('says nothing about a plain config', () => {
    expect(warn('backends:\n  - { id: s, kind: localstub, models: [m] }')).to.deep.equal([]);
  });

  describe('a backend whose key variable is unset', () => {
    const row = (extra: string) => `backends:\n  - { id: s, kind: localstub }\n  - { id: a, kind: anthropic, models: [c]${extra} }`;
    it('names the kind default variable, or the row api_key_env', () => {
      expect(warn(row(''))).to.deep.equal(['backends[1] "a": the environment variable ANTHROPIC_API_KEY is not set; its requests fail until it is (or give api_key / api_keys)']);
      expect(warn(row(', api_key_env: TEAM_KEY'))[0]).to.contain('TEAM_KEY is not set');
    });
    it('is quiet when the variable (or a numbered pool member) is set, a key is inline, the row needs none, or is disabled', () => {
      expect(warn(row(''), { ANTHROPIC_API_KEY: 'k' })).to.deep.equal([]);
      expect(warn(row(', api_key_env: TEAM_KEY'), { TEAM_KEY: 'k' })).to.deep.equal([]);
      expect(warn(row(', api_key: sk-inline'))).to.deep.equal([]);
      expect(warn(row(', enabled: false'))).to.deep.equal([]);
      expect(warn('backends:\n  - { id: l, kind: ollama, models: [q] }')).to.deep.equal([]); // a local server: no key variable
      expect(warn('backends:\n  - { id: o, kind: openai-chat, auth: none, models: [q] }')).to.deep.equal([]);
    });
  });

  it('names a key given to a row with auth: none, which never sends it', () => {
    expect(warn('backends:\n  - { id: l, kind: ollama, auth: none, api_key: k, models: [q] }')).to.deep.equal([
      'backends[0] "l": auth: none never sends a key, so its api_key / api_keys / api_key_env is unused; remove auth: none to send it (Bearer), or remove the key',
    ]);
    expect(warn('backends:\n  - { id: l, kind: vllm, auth: none, api_key_env: VLLM_KEY, models: [q] }', { VLLM_KEY: 'k' })).to.have.length(1);
    // An unset variable is not also "not set; its requests fail": they send no key.
    expect(warn('backends:\n  - { id: l, kind: vllm, auth: none, api_key_env: VLLM_KEY, models: [q] }')).to.deep.equal([
      'backends[0] "l": auth: none never sends a key, so its api_key / api_keys / api_key_env is unused; remove auth: none to send it (Bearer), or remove the key',
    ]);
  });

  describe('an openai-codex backend without a usable access token', () => {
    const row = (extra = '') => `backends:\n  - { id: cx, kind: openai-codex, models: [gpt-5.4]${extra} }`;
    it('says where a token may come from, or why the configured auth.json is no good', () => {
      const home = { HOME: '/nonexistent/lip-home' };
      expect(warn(row(), home)).to.deep.equal([
        'backends[0] "cx": no Codex access token was found: set access_token on the row, OPENAI_CODEX_ACCESS_TOKEN or OPENAI_CODEX_API_KEY, auth_json_path, or log in with the Codex CLI (/nonexistent/lip-home/.codex/auth.json); its requests fail until it is fixed',
      ]);
      expect(warn(row(', auth_json_path: /nonexistent/auth.json'), home)[0]).to.contain('auth_json_path /nonexistent/auth.json does not exist');
    });
    it('is quiet with a token on the row or in a (numbered) variable', () => {
      expect(warn(row(', access_token: t'), { HOME: '/nonexistent' })).to.deep.equal([]);
      expect(warn(row(), { HOME: '/nonexistent', OPENAI_CODEX_ACCESS_TOKEN_2: 't' })).to.deep.equal([]);
    });
  });

  describe('an arm max_attempts can never reach', () => {
    const rows = 'backends:\n  - { id: a, kind: localstub, models: [m] }\n  - { id: b, kind: localstub, models: [m] }\n  - { id: c, kind: localstub, models: [m] }\n';
    it('counts one open per leaf: a single arm 1, a weighted arm every branch, a race every leg', () => {
      expect(warn(`routing: { default_route: "a:m|b:m|c:m", max_attempts: 3 }\n${rows}`)).to.deep.equal([]);
      expect(warn(`routing: { default_route: "a:m|b:m|c:m", max_attempts: 2 }\n${rows}`)).to.deep.equal([
        'routing.default_route: arm 3 ("c:m") can never be tried: the arms before it use 2 backend opens when they fail, and routing.max_attempts is 2',
      ]);
      expect(warn(`routing: { default_route: "a:m^b:m|c:m", max_attempts: 2 }\n${rows}`)[0]).to.contain('arm 2 ("c:m")');
      expect(warn(`routing: { default_route: "a:m!b:m|c:m", max_attempts: 3 }\n${rows}`)).to.deep.equal([]);
      expect(warn(`routing: { default_route: "a:m!b:m!c:m|a:m", max_attempts: 3 }\n${rows}`)[0]).to.contain('arm 2 ("a:m")');
    });
    it('names race legs that never start: the legs that start before them use every open', () => {
      const four = `backends:\n  - { id: a, kind: localstub, models: [t400, t401, t402, ok] }\n`;
      expect(warn(`routing: { default_route: "a:t400!a:t401!a:t402!a:ok" }\n${four}`)).to.deep.equal([
        'routing.default_route: arm 1, race leg 4 ("a:ok") can never start: routing.max_attempts is 3; the 3 legs that start before it use them all',
      ]);
      expect(warn(`routing: { default_route: "[handicap=1s]a:t400!a:t401!a:t402!a:ok", max_attempts: 2 }\n${four}`)).to.deep.equal([
        'routing.default_route: arm 1, race legs 1, 4 ("a:t400", "a:ok") can never start: routing.max_attempts is 2; the 2 legs that start before them use them all',
      ]);
      expect(warn(`routing: { default_route: "a:t400|a:t401!a:t402!a:ok|a:t400", max_attempts: 3 }\n${four}`)).to.deep.equal([
        'routing.default_route: arm 2, race leg 3 ("a:ok") can never start: routing.max_attempts is 3; the arms before use 1 backend open when they fail, the 2 legs that start before it the rest',
        'routing.default_route: arm 3 ("a:t400") can never be tried: the arms before it use 4 backend opens when they fail, and routing.max_attempts is 3',
      ]);
      // a:m's race leg is skipped (it already failed in this request), so c:m starts with the opens left.
      expect(warn(`routing: { default_route: "a:m|a:m!b:m!c:m|c:m", max_attempts: 3 }\n${rows}`)).to.deep.equal([
        'routing.default_route: arm 3 ("c:m") can never be tried: the arms before it use 3 backend opens when they fail, and routing.max_attempts is 3',
      ]);
    });
    it('counts a candidate that an earlier arm or branch already opened once: routing skips the repeat as already failed', () => {
      expect(warn(`routing: { default_route: "a:m|a:m|a:m|b:m", max_attempts: 3 }\n${rows}`)).to.deep.equal([]);
      expect(warn(`routing: { default_route: "[weight=1]a:m^a:m|a:m|c:m", max_attempts: 3 }\n${rows}`)).to.deep.equal([]);
      expect(warn(`routing: { default_route: "a:m|a:m|b:m|c:m", max_attempts: 2 }\n${rows}`)).to.deep.equal([
        'routing.default_route: arm 4 ("c:m") can never be tried: the arms before it use 2 backend opens when they fail, and routing.max_attempts is 2',
      ]);
      // Another query is another candidate key.
      expect(warn(`routing: { default_route: "a:m|a:m?temperature=0.2|b:m", max_attempts: 2 }\n${rows}`)[0]).to.contain('arm 3 ("b:m") can never be tried');
    });
    it('checks alias replacements and the default route after aliases', () => {
      const w = warn(`routing: { default_route: "pair", max_attempts: 1 }\n${rows}model_aliases:\n  - { pattern: "^pair$", replacement: "a:m|b:m" }`);
      expect(w).to.deep.equal([
        'routing.default_route: arm 2 ("b:m") can never be tried: the arms before it use 1 backend opens when they fail, and routing.max_attempts is 1',
        'model_aliases[0].replacement: arm 2 ("b:m") can never be tried: the arms before it use 1 backend opens when they fail, and routing.max_attempts is 1',
      ]);
    });
  });

  describe('an alias pattern without ^…$ anchors', () => {
    const rows = 'backends:\n  - { id: s, kind: localstub, models: [m, fast-model] }\n';
    it('warns, with a configured selector it would rewrite in part when there is one', () => {
      expect(warn(`${rows}model_aliases:\n  - { pattern: "fast", replacement: "s:m" }`)).to.deep.equal([
        'model_aliases[0].pattern "fast" has no ^…$ anchors: it also rewrites any selector that merely contains a match ("s:fast-model" → "s:s:m-model"); write "^fast$" to match whole selectors only',
      ]);
      expect(warn(`${rows}model_aliases:\n  - { pattern: "^speedy", replacement: "s:m" }`)[0]).to.match(/^model_aliases\[0\]\.pattern "\^speedy" has no .* write "\^speedy\$"/);
      expect(warn(`${rows}model_aliases:\n  - { pattern: "^fast$", replacement: "s:m" }`)).to.deep.equal([]);
    });
  });

  describe('a default route through a disabled backend', () => {
    it('warns when the derived default route skipped a disabled first backend', () => {
      expect(warn('backends:\n  - { id: off, kind: localstub, models: [m], enabled: false }\n  - { id: s, kind: localstub, models: [m] }')).to.deep.equal([
        'routing.default_route is not set: it goes to "s:m" because the first backend, "off", is disabled; set routing.default_route to say which',
      ]);
      expect(warn('routing: { default_route: "s:m" }\nbackends:\n  - { id: off, kind: localstub, models: [m], enabled: false }\n  - { id: s, kind: localstub, models: [m] }')).to.deep.equal([]);
    });
    it('a configured default route naming a disabled backend stays a load error', () => {
      expect(() => configFrom(`${base}routing: { default_route: "off:m" }\nbackends:\n  - { id: off, kind: localstub, models: [m], enabled: false }\n  - { id: s, kind: localstub }`)).to.throw(/not configured or not enabled/);
    });
  });

  describe('features that cannot work as configured', () => {
    it('routing.resume_after_output with no backend that takes a prefill', () => {
      const on = 'routing: { resume_after_output: { enabled: true } }\n';
      expect(warn(`${on}backends:\n  - { id: s, kind: localstub, models: [m] }`)).to.deep.equal([
        'routing.resume_after_output is on, but no enabled backend takes a prefill (kinds alibaba-token-plan-intl, anthropic, bedrock, custom-anthropic, or a Chat Completions row with prefill: partial or prefix): no broken answer can be resumed',
      ]);
      expect(warn(`${on}backends:\n  - { id: s, kind: localstub, models: [m] }\n  - { id: a, kind: custom-anthropic, base_url: "http://127.0.0.1:9" }`)).to.deep.equal([]);
      expect(warn(`${on}backends:\n  - { id: k, kind: moonshot, api_key: k }`)).to.deep.equal([]);
    });

    it('model_catalog over a file that does not exist, with nothing to fetch it from', () => {
      const rows = 'backends:\n  - { id: s, kind: localstub, models: [m] }\n';
      expect(warn(`${rows}model_catalog: { enabled: true, path: /nonexistent/models.json }`)).to.deep.equal([
        'model_catalog.path "/nonexistent/models.json" does not exist and no source_url is set: the catalog decides nothing until the file is there (curl -o /nonexistent/models.json https://models.dev/api.json)',
      ]);
      expect(warn(`${rows}model_catalog: { enabled: true, path: /nonexistent/models.json, source_url: "https://models.dev/api.json" }`)).to.deep.equal([]);
      expect(warn(`${rows}model_catalog: { enabled: true, path: testdata/model-catalog/models-dev.json }`)).to.deep.equal([]);
    });

    it('model_catalog settings while the catalog is off: none of them takes effect', () => {
      const rows = 'backends:\n  - { id: s, kind: localstub, models: [m] }\n';
      expect(warn(`${rows}model_catalog: { path: ./models.json, prices: true, backends: { s: openai } }`)).to.deep.equal([
        'model_catalog is not enabled, so its path, backends and prices take no effect; set model_catalog.enabled: true to use them',
      ]);
      expect(warn(`${rows}model_catalog: { enabled: false, overrides: [{ model: m, context: 10 }], adapt: { reasoning: true } }`)[0]).to.contain('its adapt and overrides take no effect');
      expect(warn(`${rows}model_catalog: { enabled: false }`)).to.deep.equal([]);
    });

    // Found by probing: only model_catalog said so; every other switched-off section took its settings silently.
    it('the settings of any other section that is switched off, and a SQLite path without the SQLite store', () => {
      const rows = 'backends:\n  - { id: s, kind: localstub, models: [m] }\n';
      expect(warn(`${rows}cache: { store: redis, ttl: 2h, scope: global }\nrecording: { path: ./r.jsonl, redact_substrings: [secret] }`)).to.deep.equal([
        'recording is not enabled, so its path and redact_substrings take no effect; set recording.enabled: true to use them',
        'cache is not enabled, so its store, ttl and scope take no effect; set cache.enabled: true to use them',
      ]);
      expect(warn(`${rows}observability: { tracing: { service_name: api, sample_ratio: 0.1 }, metrics: { path: /m } }`)).to.deep.equal([
        'observability.metrics is not enabled, so its path takes no effect; set observability.metrics.enabled: true to use it',
        'observability.tracing is not enabled, so its service_name and sample_ratio take no effect; set observability.tracing.enabled: true to use them',
      ]);
      expect(configWarnings(configFrom(`${rows}server: { host: 127.0.0.1, port: 0, pre_request_keepalive: { interval: 1s } }\nrouting: { resume_after_output: { max_resumes: 4 }, circuit_breaker: { failure_threshold: 2, open_for: 1m } }`), {})).to.deep.equal([
        'server.pre_request_keepalive is not enabled, so its interval takes no effect; set server.pre_request_keepalive.enabled: true to use it',
        'routing.resume_after_output is not enabled, so its max_resumes takes no effect; set routing.resume_after_output.enabled: true to use it',
        'routing.circuit_breaker is not enabled, so its failure_threshold and open_for take no effect; set routing.circuit_breaker.enabled: true to use them',
      ]);
      // The breaker's store is also where API key cool-downs are kept, with the breaker off too.
      expect(warn(`${rows}routing: { circuit_breaker: { store: redis } }`)).to.deep.equal([]);
      expect(warn(`${rows}continuity: { sqlite_path: /var/lib/lip/lip.db }`)).to.deep.equal([
        'continuity.sqlite_path takes no effect with continuity.store: memory; set continuity.store: sqlite to keep conversations in that file',
      ]);
      expect(warn(`${rows}continuity: { store: sqlite, sqlite_path: /tmp/lip-warnings.db }\ncache: { enabled: true, ttl: 2h }\nrecording: { enabled: false }`)).to.deep.equal([]);
    });
  });
});
