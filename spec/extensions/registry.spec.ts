import { expect } from 'chai';
import { ConfigError, formatIssue } from '../../lib/config/index.js';
import { registerFeature } from '../../lib/extensions/registry.js';
import type { FeatureFactory } from '../../lib/extensions/sdk.js';
import { configFrom } from '../helpers/config.js';

const STUB = 'backends:\n  - { id: stub, kind: localstub }\n';
const problems = (yaml: string): string[] => {
  try {
    configFrom(yaml);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
};

/** An in-test plugin with a schema of its own. */
const quota: FeatureFactory<{ limit: number; mode: string }> = {
  id: 'test-quota',
  description: 'test plugin',
  configSchema: {
    type: 'object', additionalProperties: false, required: ['limit'],
    properties: { limit: { type: 'integer', minimum: 1 }, mode: { enum: ['soft', 'hard'], default: 'soft' } },
  },
  // Rules the schema cannot say: a hard limit needs a limit of at least 10 (and every problem is told).
  check: (config) => config.mode === 'hard' && config.limit < 10 ? [{ path: ['limit'], message: 'must be at least 10 in hard mode' }, { path: [], message: 'hard mode is strict' }] : [],
  create: () => ({}),
};

describe('extensions/registry and features: config', () => {
  let unregister: () => void;
  before(() => { unregister = registerFeature(quota); });
  after(() => unregister());

  it('accepts a known feature and applies its schema defaults', () => {
    const config = configFrom(`features:\n  - { id: test-quota, order: 5, config: { limit: 3 } }\n  - { id: request-tag, config: { tags: { team: core } } }\n${STUB}`);
    expect(config.features).to.deep.equal([
      { id: 'test-quota', enabled: true, order: 5, config: { limit: 3, mode: 'soft' } },
      { id: 'request-tag', enabled: true, config: { tags: { team: 'core' }, overwrite: false } },
    ]);
  });

  it('an unknown id is an error with a suggestion and the known ids', () => {
    expect(problems(`features:\n  - { id: request-tga }\n${STUB}`)).to.deep.equal([
      'test.yaml:2:11: features[0].id: unknown feature "request-tga" (did you mean "request-tag"?); known features: codex-client-compat, compaction-continuity, parts-noop, pre-request-policy, reasoning-output-preservation, ref-autoappend-file, ref-request-suffix, ref-submit-annotate, ref-tool-policy, ref-tool-prefix, ref-traffic-transcript, ref-verifier-stub, ref-workspace-guard, request-tag, secrets-guard, submit-noop, test-quota, tool-call-repair, tool-reactor-noop',
    ]);
    expect(problems(`features:\n  - { id: magic }\n${STUB}`)[0]).to.match(/unknown feature "magic"; known features: codex-client-compat, compaction-continuity, parts-noop, pre-request-policy, reasoning-output-preservation, ref-autoappend-file, ref-request-suffix, ref-submit-annotate, ref-tool-policy, ref-tool-prefix, ref-traffic-transcript, ref-verifier-stub, ref-workspace-guard, request-tag, secrets-guard, submit-noop, test-quota, tool-call-repair, tool-reactor-noop$/);
  });

  it("a row's config is checked against its plugin's schema, with positions", () => {
    expect(problems(`features:\n  - id: test-quota\n    config:\n      limit: 0\n      mdoe: hard\n${STUB}`)).to.deep.equal([
      'test.yaml:4:14: features[0].config.limit: must be >= 1 (got 0)',
      'test.yaml:5:7: features[0].config.mdoe: unknown key "mdoe" (did you mean "mode"?)',
    ]);
    expect(problems(`features:\n  - { id: test-quota }\n${STUB}`)[0]).to.equal('test.yaml:2:5: features[0].config: missing required key "limit"');
  });

  it("a plugin's check runs on the validated config (defaults applied) of an enabled row: every problem, located", () => {
    expect(problems(`features:\n  - id: test-quota\n    config:\n      mode: hard\n      limit: 3\n${STUB}`)).to.deep.equal([
      'test.yaml:4:7: features[0].config: hard mode is strict',
      'test.yaml:5:14: features[0].config.limit: must be at least 10 in hard mode',
    ]);
    expect(problems(`features:\n  - { id: test-quota, enabled: false, config: { mode: hard, limit: 3 } }\n${STUB}`)).to.deep.equal([]);
    expect(problems(`features:\n  - { id: test-quota, config: { mode: hard, limit: 10 } }\n${STUB}`)).to.deep.equal([]);
  });

  it('a duplicate id is an error', () => {
    expect(problems(`features:\n  - { id: request-tag }\n  - { id: request-tag, enabled: false }\n${STUB}`)).to.deep.equal([
      'test.yaml:3:11: features[1].id: duplicate feature "request-tag" (first used by features[0])',
    ]);
  });

  it('registering an id twice is refused, and unregistering removes it', () => {
    expect(() => registerFeature(quota)).to.throw(/already registered/);
    const again = registerFeature({ ...quota, id: 'test-temp' });
    again();
    expect(problems(`features:\n  - { id: test-temp }\n${STUB}`)[0]).to.contain('unknown feature "test-temp"');
  });

  it('records whether the file set redis.url (plugin state goes to Redis only then)', () => {
    expect(configFrom(STUB).redis.url_set).to.equal(false);
    expect(configFrom(`redis: { url: "redis://127.0.0.1:1" }\n${STUB}`).redis.url_set).to.equal(true);
  });
});
