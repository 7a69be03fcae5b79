import { expect } from 'chai';
import { keySourceHint, keysFromRow } from '../../../lib/backends/credentials/index.js';
import { readEnvPool } from '../../../lib/config/secrets.js';

const row = (extra: Record<string, unknown>) => ({ id: 'b', kind: 'openai-chat', models: [], ...extra });

describe('backends/credentials/keys-from-row', () => {
  const env = { OPENAI_API_KEY: 'k1', OPENAI_API_KEY_2: 'k2', OPENAI_API_KEY_3: 'k3', OPENAI_API_KEY_5: 'k5', MINE: 'm1', MINE_2: ' m2 ' };
  const deps = { env, readEnvPool: (name: string) => readEnvPool(name, env) };

  it('reads the kind default pool NAME, NAME_2 ... until the first gap', () => {
    expect(keysFromRow(row({}), deps, 'OPENAI_API_KEY')).to.deep.equal(['k1', 'k2', 'k3']);
  });

  it('reads api_key_env instead of the default, trimmed', () => {
    expect(keysFromRow(row({ api_key_env: 'MINE' }), deps, 'OPENAI_API_KEY')).to.deep.equal(['m1', 'm2']);
  });

  it('combines api_key, api_keys and api_key_env in that order without duplicates', () => {
    expect(keysFromRow(row({ api_key: 'x', api_keys: ['y', 'x', ''], api_key_env: 'MINE' }), deps, 'OPENAI_API_KEY')).to.deep.equal(['x', 'y', 'm1', 'm2']);
  });

  it('ignores the default variable once the row names its keys, and has none without a default', () => {
    expect(keysFromRow(row({ api_keys: [] }), deps, 'OPENAI_API_KEY')).to.deep.equal([]);
    expect(keysFromRow(row({}), deps)).to.deep.equal([]);
  });

  it('names where keys come from without showing any', () => {
    expect(keySourceHint(row({}), 'OPENAI_API_KEY')).to.contain('OPENAI_API_KEY');
    expect(keySourceHint(row({ api_key_env: 'MINE' }), 'OPENAI_API_KEY')).to.equal('the environment variable MINE');
    expect(keySourceHint(row({ api_key: 'secret-value' }))).not.to.contain('secret-value');
  });
});
