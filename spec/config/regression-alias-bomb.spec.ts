import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, parseConfig } from '../../lib/config/index.js';

/**
 * Found by spec/fuzz/config.fuzz.spec.ts: a config whose aliases expand past the yaml library's
 * alias limit (a "billion laughs" file) escaped the loader as a bare ReferenceError instead of a
 * ConfigError (LIP_ERR_CONFIG_INVALID), so `lip check-config` and a reload printed a stack.
 */
describe('config regression: an alias bomb is a config error', () => {
  it('reports excessive alias expansion as a located ConfigError', () => {
    const yaml = [
      'a0: &a0 [x, x, x, x, x, x, x, x, x, x]',
      'a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]',
      'a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]',
      'backends: []',
    ].join('\n');
    let error: unknown;
    try {
      parseConfig(yaml, 'bomb.yaml', { ...LOAD_OPTIONS, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).code).to.equal('LIP_ERR_CONFIG_INVALID');
    expect((error as ConfigError).message).to.match(/^bomb\.yaml:1:1: the YAML cannot be expanded: .*alias/);
  });

  // Found by the same fuzzer at 20,000 runs: an alias inside the node it names made a value that
  // contains itself, and a unit keyword's message (JSON.stringify) threw a TypeError.
  it('reports an alias inside the node it names as a located ConfigError, and keeps other aliases', () => {
    const refusal = (yaml: string): unknown => {
      try {
        parseConfig(yaml, 'cycle.yaml', { ...LOAD_OPTIONS, env: {} });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const cyclic = refusal('continuity: { store: memory, ttl: &a [*a, *a] }\nbackends: []\n');
    expect(cyclic).to.be.instanceOf(ConfigError);
    expect((cyclic as ConfigError).message).to.match(/^cycle\.yaml:1:39: the alias \*a is inside the node &a it names/);
    expect(refusal('routing: &r { default_route: "stub:x", max_attempts: 2, r: *r }\nbackends: []\n')).to.be.instanceOf(ConfigError);
    const shared = 'defaults: &d { connect_timeout: 2s }\nhttp_client: *d\nbackends: [{ id: stub, kind: localstub }]\n';
    expect(String((refusal(shared) as Error | undefined)?.message ?? '')).to.not.match(/inside the node/);
  });
});

