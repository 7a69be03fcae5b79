import { expect } from 'chai';
import { configFrom } from '../helpers/config.js';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';

function lines(yaml: string): string[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

/**
 * Found by probing: a YAML merge key (`- <<: *base`), the usual way to share a backend's settings,
 * was read as an ordinary key: `unknown key "<<"; allowed keys: ...`, or `backends[1]: missing
 * required key "kind"` for a row that took its kind from the merged mapping. Merge keys are now
 * supported (the yaml library's YAML 1.1 `merge` option); a merge key given something else than
 * mappings is reported where it is, not as an unlocated expansion failure.
 */
describe('config regression: YAML merge keys (<<)', () => {
  const SHARED = [
    'backends:',
    '  - &base { id: a, kind: localstub, models: [m], text: shared }',
    '  - <<: *base',
    '    id: b',
    '  - <<: [*base, { chunks: 2 }]',
    '    id: c',
    '    text: own',
  ].join('\n');

  it('merges the named mapping into the row; the row\'s own keys win', () => {
    const c = configFrom(SHARED);
    expect(c.backends.map((b) => [b.id, b.kind, b.models, (b as unknown as { text: string }).text])).to.deep.equal([
      ['a', 'localstub', ['m'], 'shared'],
      ['b', 'localstub', ['m'], 'shared'],
      ['c', 'localstub', ['m'], 'own'],
    ]);
    expect((c.backends[2] as unknown as { chunks: number }).chunks).to.equal(2);
  });

  it('validates what was merged like any other key', () => {
    expect(lines('backends:\n  - &base { id: a, kind: localstub, chunkz: 2 }\n  - <<: *base\n    id: b\n')).to.deep.equal([
      'lip.yaml:2:37: backends[0].chunkz: unknown key "chunkz" (did you mean "chunks"?)',
      'lip.yaml:3:5: backends[1].chunkz: unknown key "chunkz" (did you mean "chunks"?)',
    ]);
  });

  it('reports a merge key that is given no mapping, with its path', () => {
    expect(lines('backends:\n  - { id: a, kind: localstub }\n  - <<: 3\n    id: b\n')).to.deep.equal([
      'lip.yaml:3:9: backends[1].<<: a merge key (<<) takes a mapping, an alias of one (*name) or a list of those',
    ]);
  });

  it('counts merged aliases against the alias limit', () => {
    const bomb = ['a0: &a0 { k: [x, x, x, x, x, x, x, x, x, x] }'];
    for (let i = 1; i < 12; i++) bomb.push(`a${i}: &a${i} { <<: *a${i - 1}, m: { <<: *a${i - 1} }, n: { <<: *a${i - 1} } }`);
    expect(lines(`${bomb.join('\n')}\nbackends: []\n`)[0]).to.match(/^lip\.yaml:1:1: the YAML cannot be expanded: .*alias/);
  });
});
