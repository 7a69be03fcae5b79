import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';

const STUB = `
backends:
  - { id: stub, kind: localstub }
`;

function lines(yaml: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

/**
 * Found by probing: the check that API keys are unique compared the secrets before trimming, but
 * the keys kept (and matched at runtime) are trimmed. Two rows whose secrets differed only in
 * surrounding white space (a `key_env` read from a file with a trailing newline) passed
 * check-config, and the key then authenticated as the later row: its principal, limits and
 * allow list.
 */
describe('config regression: API keys that differ only in surrounding white space are one key', () => {
  it('reports a key_env whose value is another row\'s key with a trailing newline', () => {
    const yaml = `auth:\n  api_keys:\n    - { id: alice, key: "0123456789abcdef-shared" }\n    - { id: bob, key_env: BOB_KEY }\n${STUB}`;
    expect(lines(yaml, { BOB_KEY: '0123456789abcdef-shared\n' })).to.deep.equal(['lip.yaml:4:7: auth.api_keys[1]: reuses the key of "alice"']);
  });

  it('reports inline keys that differ only in leading or trailing spaces', () => {
    const yaml = `auth:\n  api_keys:\n    - { id: alice, key: " 0123456789abcdef-shared" }\n    - { id: bob, key: "0123456789abcdef-shared  " }\n${STUB}`;
    expect(lines(yaml, {})).to.deep.equal(['lip.yaml:4:7: auth.api_keys[1]: reuses the key of "alice"']);
  });

  it('still keeps each key trimmed', () => {
    const yaml = `auth:\n  api_keys:\n    - { id: alice, key_env: ALICE_KEY }\n${STUB}`;
    const c = parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env: { ALICE_KEY: '  0123456789abcdef-alice\n' } });
    expect(c.auth.api_keys.map((k) => k.key)).to.deep.equal(['0123456789abcdef-alice']);
  });
});
