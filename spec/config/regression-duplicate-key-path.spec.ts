import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';

function lines(text: string, file = 'lip.yaml'): string[] {
  try {
    parseConfig(text, file, { ...LOAD_OPTIONS, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

/**
 * Found by probing: a key given twice in one mapping was reported as the yaml library words it,
 * `t5.yaml:6:3: Map keys must be unique`, naming neither the key nor where it sits (nor where it
 * was first given). Each repeat now has its path, the key, and the first one's line and column.
 */
describe('config regression: a duplicate key is named with its path', () => {
  it('names the key, its path and where it was first given (YAML)', () => {
    expect(lines('backends: [{ id: stub, kind: localstub }]\n\n\nserver:\n  port: 0\n  port: 1\n', 't5.yaml')).to.deep.equal([
      't5.yaml:6:3: server.port: duplicate key "port" (first at 5:3)',
    ]);
  });

  it('reports every repeat, inside lists too', () => {
    expect(lines('backends:\n  - id: a\n    kind: localstub\n    id: b\n    models: [x]\n    models: [y]\n')).to.deep.equal([
      'lip.yaml:4:5: backends[0].id: duplicate key "id" (first at 2:5)',
      'lip.yaml:6:5: backends[0].models: duplicate key "models" (first at 5:5)',
    ]);
  });

  it('does the same for a JSON file', () => {
    expect(lines('{"backends": [{"id": "stub", "kind": "localstub"}],\n "server": {"port": 0, "port": 1}}', 'lip.json')).to.deep.equal([
      'lip.json:2:24: server.port: duplicate key "port" (first at 2:13)',
    ]);
  });

  /**
   * Found by probing the docs: a repeated key ended the check, hiding every other problem of the
   * file (configuration.md: every problem is reported at once). The first value is now read on.
   */
  it('reports the file\'s other problems with it, reading the first value', () => {
    expect(lines('server:\n  port: 1\n  port: 2\n  prot: 3\nbackends:\n  - { id: s, kind: localstub, models: [m], chunk_delay: 5 }\n')).to.deep.equal([
      'lip.yaml:3:3: server.port: duplicate key "port" (first at 2:3)',
      'lip.yaml:4:3: server.prot: unknown key "prot" (did you mean "port"?)',
      'lip.yaml:6:57: backends[0].chunk_delay: must be a duration such as 250ms, 30s or 5m (got 5)',
    ]);
    expect(lines('server:\n  port: nope\n  port: 1\nbackends: [{ id: s, kind: localstub }]\n')).to.deep.equal([
      'lip.yaml:2:9: server.port: must be an integer (got "nope")',
      'lip.yaml:3:3: server.port: duplicate key "port" (first at 2:3)',
    ]);
  });

  it('still stops at a syntax error, with the repeats found before it', () => {
    expect(lines('server:\n  port: 1\n  port: 2\n  prot: [3\n')[0]).to.equal('lip.yaml:3:3: server.port: duplicate key "port" (first at 2:3)');
    expect(lines('server:\n  port: 1\n  port: 2\n  prot: [3\n').some((l) => l.includes('unknown key'))).to.equal(false);
  });
});
