import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, configSchemas, parseConfig, writeConfigValidators } from '../../lib/config/index.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout, HUGE_CHARS } from './fuzz-parameters.js';
import { applyMutation, FuzzText, hostileText, mutation, toText, type Json } from './json-mutations.js';

/** The shipped configs and one that touches every section, as the seeds to mutate. */
const FULL = `
server: { host: 127.0.0.1, port: 0, max_request_body_bytes: 1MiB, shutdown_timeout: 1.5s, keepalive_interval: 250ms, max_concurrent_requests: 8, strict_transport_security: "max-age=600" }
identity:
  upstream: { user_agent: { mode: custom, value: "Gw/1" }, app_url: { mode: custom, value: "https://gw.example" }, app_title: { mode: passthrough } }
  downstream: { server: { mode: drop } }
auth:
  api_keys:
    - { id: k1, key: 0123456789abcdef0123, principal: team-a }
    - { id: k2, key_env: LIP_FUZZ_KEY }
logging: { level: debug, format: text, access_log: false }
http_client: { connect_timeout: 2s, headers_timeout: 30s, body_timeout: 1m, connections_per_origin: 4, trust_environment_proxy: false }
routing:
  default_route: "up:gpt-4o|stub:stub-default"
  max_attempts: 4
  circuit_breaker: { enabled: true, failure_threshold: 2, open_for: 2s, store: memory }
model_aliases:
  - { pattern: "^fast$", replacement: "stub:stub-fast" }
  - { pattern: "^(\\\\w+)-race$", replacement: "up:\${1}!stub:\${1}" }
continuity: { store: memory, ttl: 2h, max_legs: 1000 }
redis: { url: "redis://127.0.0.1:6379", key_prefix: "lip-fuzz:" }
frontends:
  - { id: openai-chat }
  - { id: gemini, enabled: false }
backends:
  - { id: stub, kind: localstub, models: [stub-default, stub-fast], text: "Hello", chunks: 4, fail: before_output:503 }
  - { id: up, kind: openai-chat, base_url: "http://127.0.0.1:9/v1", api_key: "sk-0123456789", headers: { x-extra: "1" } }
  - { id: claude, kind: anthropic, base_url: "https://example.com", api_key_env: LIP_FUZZ_KEY, enabled: false }
  - { id: gem, kind: gemini, api_keys: [gk-0123456789, gk-9876543210], identity: { user_agent: { mode: drop } } }
  - { id: router, kind: openrouter, api_key: or-0123456789, identity: { app_title: { mode: custom, value: Gw } } }
`;
const SEEDS = [readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8'), readFileSync(new URL('../../config/example.yaml', import.meta.url), 'utf8'), FULL];
const OPTIONS = { ...LOAD_OPTIONS, env: { LIP_FUZZ_KEY: 'a-fuzz-key-0123456789' } };

/** YAML syntax that trips parsers: anchors and aliases, tags, merges, directives, tabs, flow. */
const YAML_TOKENS = ['&a ', '*a', '<<: *a\n', '!!binary ', '!!str ', '!!js/function ', '!custom ', '%YAML 1.1\n', '---\n', '...\n', '? ', ': ', '- ', '\t',
  '"', "'", '{', '}', '[', ']', ',', '#', '|\n', '>-\n', '\n  ', '\n', '~', '.inf', '0x1F', '1e999', '-0', 'null', 'yes', 'on', '${LIP_FUZZ_KEY}', '${NOPE}'];

const textEdit = fc.record({
  at: fc.nat(), remove: fc.integer({ min: 0, max: 6 }),
  insert: fc.oneof(fc.constantFrom(...YAML_TOKENS), hostileText, fc.constantFrom('&a [*a, *a, *a, *a, *a, *a, *a, *a, *a]', '*a'.repeat(50))),
});

const configs: fc.Arbitrary<FuzzText> = fc.oneof(
  // Text-level edits of a valid file.
  fc.tuple(fc.constantFrom(...SEEDS), fc.array(textEdit, { minLength: 1, maxLength: 5 })).map(([seed, edits]) => new FuzzText(edits.reduce((s, e) => {
    const at = e.at % (s.length + 1);
    return s.slice(0, at) + e.insert + s.slice(at + e.remove);
  }, seed))),
  // Value-level mutations of a valid file, written as flow YAML (JSON is YAML) or block YAML.
  fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation(undefined, Math.min(HUGE_CHARS, 20_000)), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([seed, ms, flow]) => {
    const doc = ms.reduce(applyMutation, parseYaml(seed) as Json);
    return new FuzzText(flow ? toText(doc) : stringifyYaml(JSON.parse(toText(doc))));
  }),
  // Random YAML values and random text.
  fc.jsonValue({ maxDepth: 5 }).map((v) => new FuzzText(stringifyYaml(v))),
  fc.string({ maxLength: 200 }).map((s) => new FuzzText(s)),
  // Alias expansion ("billion laughs").
  fc.integer({ min: 1, max: 12 }).map((n) => new FuzzText(`a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: n }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`).join('\n')}\nbackends: []\n`)),
);

describe('fuzz: config loader (lib/config/load-config.ts)', function () {
  this.timeout(fuzzTimeout(30));

  it('loads every seed config', () => {
    for (const seed of SEEDS) expect(() => parseConfig(seed, 'seed.yaml', OPTIONS), seed.slice(0, 80)).to.not.throw();
  });

  it('answers mutated and random YAML with a config or a ConfigError whose issues are located', () => {
    fc.assert(fc.property(configs, ({ text }) => {
      try {
        const config = parseConfig(text, 'fuzz.yaml', OPTIONS);
        expect(config.backends.length).to.be.greaterThan(0);
      } catch (err) {
        expectLipError(err, { codes: ['LIP_ERR_CONFIG_INVALID'] });
        expect(err).to.be.instanceOf(ConfigError);
        for (const issue of (err as ConfigError).issues) {
          expect(Number.isInteger(issue.line) && issue.line >= 1, JSON.stringify(issue)).to.equal(true);
          expect(Number.isInteger(issue.column) && issue.column >= 1, JSON.stringify(issue)).to.equal(true);
          expect(issue.message).to.be.a('string').and.not.equal('');
        }
      }
    }), fuzzParameters(0.3));
  });

  describe('validators compiled at build time', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'lip-precompiled-fuzz-'));
      writeConfigValidators(configSchemas(LOAD_OPTIONS), dir);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const outcome = (text: string, precompiledDir: string | null) => {
      try {
        return { config: parseConfig(text, 'fuzz.yaml', { ...OPTIONS, precompiledDir }) };
      } catch (err) {
        return err instanceof ConfigError ? { issues: err.issues } : { error: String(err) };
      }
    };

    it('give every mutated config the outcome the validators compiled at run time give', () => {
      fc.assert(fc.property(configs, ({ text }) => {
        expect(outcome(text, dir)).to.deep.equal(outcome(text, null));
      }), fuzzParameters(0.3));
    });
  });
});
