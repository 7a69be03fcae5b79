import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { CONFIG_VALIDATORS, ConfigError, configSchemas, configValidators, parseConfig, writeConfigValidators } from '../../lib/config/index.js';
import { schemaDigest as digestOf } from '../../lib/wire/index.js';

const schemaDigest = (schema: object) => digestOf(CONFIG_VALIDATORS, schema);

/** What parseConfig gives for `text` with the validators of `precompiledDir`: the config, or the issues. */
export function outcome(text: string, precompiledDir: string | null): unknown {
  try {
    return { config: parseConfig(text, 'lip.yaml', { ...LOAD_OPTIONS, precompiledDir, env: { LIP_K: 'a-key-0123456789abcdef' } }) };
  } catch (err) {
    if (err instanceof ConfigError) return { issues: err.issues };
    return { error: String(err) };
  }
}

const STUB = 'backends:\n  - { id: stub, kind: localstub, models: [m] }\n';
/** Configs that reach every kind of check: units converted, defaults filled, URLs, enums, rows, features, geoip. */
const CASES = [
  STUB,
  `server: { port: 0, shutdown_timeout: 1.5s, max_request_body_bytes: 2MiB, keepalive_interval: 250ms }\n${STUB}`,
  `server: { shutdown_timeout: soon, max_request_body_bytes: lots }\n${STUB}`,
  `redis: { url: "redis://:99999" }\n${STUB}`,
  `redis: { url: "http://127.0.0.1:6379" }\n${STUB}`,
  `redis: { url: "rediss://cache.internal:6380", key_prefix: "x:" }\ncontinuity: { store: redis, ttl: 2h }\n${STUB}`,
  `logging: { level: loud, format: jsn }\n${STUB}`,
  `servr: {}\n${STUB}`,
  'backends:\n  - { id: up, kind: openai-chat, base_url: "exa mple", api_key_env: LIP_K, models: [m], first_token_delay: quickly }\n',
  'backends:\n  - { id: up, kind: openai-chat, base_url: "https://api.example.com/v1", api_key_env: LIP_K, models: [m], headers: { x-a: "1" } }\n',
  `http_client: { connect_timeout: 2s, body_timeout: 1m, connections_per_origin: 4 }\n${STUB}`,
  'backends:\n  - { id: a, kind: anthropic, base_url: "ftp://x", api_key: 7, modles: [m] }\n  - { id: g, kind: gemini, api_key_env: LIP_K }\n',
  'backends:\n  - { id: x, kind: opneai-chat }\n',
  `features:\n  - { id: tool-call-repair, config: { mode: nope } }\n  - { id: no-such-feature }\n${STUB}`,
  `access: { geoip: { enabled: true, database: 7 } }\n${STUB}`,
  `access: { geoip: { enabled: false } }\n${STUB}`,
  'backends: 7\n',
  '[]\n',
];

describe('config: the config schemas\' precompiled validators (lib/config/schema-validators.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  const schemas = configSchemas(LOAD_OPTIONS);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-precompiled-'));
    writeConfigValidators(schemas, dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one module per distinct schema, named by its digest', () => {
    const names = readdirSync(dir).sort();
    expect(names).to.deep.equal([...new Set(schemas.map((s) => `${schemaDigest(s)}.cjs`))].sort());
    expect(names.length).to.be.greaterThan(10);
  });

  it('loads every schema from its module without compiling, and compiles one it has no module for', () => {
    const validators = configValidators(dir);
    for (const schema of schemas) expect(validators.validator(schema)).to.be.a('function');
    expect(validators.compiled).to.equal(0);
    const changed = { ...(schemas[0] as Record<string, unknown>), description: 'changed' };
    expect(schemaDigest(changed)).to.not.equal(schemaDigest(schemas[0]!));
    validators.validator(changed);
    expect(validators.compiled).to.equal(1);
    const none = configValidators(null);
    none.validator(schemas[0]!);
    expect(none.compiled).to.equal(1);
  });

  it('gives the same configs and the same problems as the validators compiled at run time', () => {
    for (const text of CASES) {
      const compiled = outcome(text, null);
      expect(outcome(text, dir), text).to.deep.equal(compiled);
    }
    // The cases did reach the checks (the outcomes are not all one error).
    const kinds = CASES.map((t) => Object.keys(outcome(t, dir) as object)[0]);
    expect(kinds.filter((k) => k === 'config').length).to.be.at.least(5);
    expect(kinds.filter((k) => k === 'issues').length).to.be.at.least(8);
    const units = outcome(CASES[1]!, dir) as { config: { server: Record<string, unknown> } };
    expect(units.config.server).to.include({ shutdown_timeout: 1500, max_request_body_bytes: 2 * 1024 * 1024, keepalive_interval: 250 });
    const urls = outcome(CASES[3]!, dir) as { issues: { message: string }[] };
    expect(urls.issues.map((i) => i.message)).to.deep.equal(['must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379: it is not a valid URL (got "redis://:99999")']);
  });

  it('the build precompiled every schema a config can use (dist/precompiled; `npm run build` writes it)', () => {
    const built = fileURLToPath(new URL('../../dist/precompiled/', import.meta.url));
    const missing = schemas.map((s) => `${schemaDigest(s)}.cjs`).filter((name) => !existsSync(join(built, name)));
    expect(missing, 'run `npm run build`').to.deep.equal([]);
  });
});
