import { expect } from 'chai';
import { configChanges, withRestartFieldsKept } from '../../lib/config/index.js';
import { testConfig } from '../helpers/config.js';

const backends = (text: string) => `  - { id: a, kind: localstub, text: "${text}" }\n  - { id: b, kind: localstub }`;

describe('configChanges', () => {
  it('finds nothing between equal configs (the source name aside)', () => {
    const a = testConfig(backends('x'));
    expect(configChanges(a, { ...testConfig(backends('x')), source: 'elsewhere.yaml' })).to.deep.equal({ changed: [], restartRequired: [] });
  });

  it('names leaf fields and backend rows by id, never values', () => {
    const a = testConfig(backends('x'), 'routing: { default_route: "a:m" }\nauth: { api_keys: [ { id: k1, key: "0123456789abcdef" } ] }');
    const b = testConfig(backends('y'), 'routing: { default_route: "b:m", max_attempts: 5 }\nauth: { api_keys: [ { id: k1, key: "fedcba9876543210" } ] }');
    const { changed, restartRequired } = configChanges(a, b);
    expect(changed).to.have.members(['routing.default_route', 'routing.max_attempts', 'backends[a]', 'auth.api_keys[k1]']);
    expect(restartRequired).to.deep.equal([]);
    expect(JSON.stringify(changed)).not.to.contain('fedcba');
  });

  it('reports a reordered list as the list itself', () => {
    const a = testConfig(backends('x'), 'routing: { default_route: "a:m" }');
    const b = testConfig('  - { id: b, kind: localstub }\n  - { id: a, kind: localstub, text: "x" }', 'routing: { default_route: "a:m" }');
    expect(configChanges(a, b).changed).to.deep.equal(['backends']);
  });

  it('splits off what needs a restart, and a reload keeps those running values', () => {
    const a = testConfig(backends('x'), 'server: { host: 127.0.0.1, port: 0, read_timeout: 10s }\nlogging: { level: info, access_log: false }');
    const b = testConfig(backends('x'), 'server: { host: 127.0.0.1, port: 9999, read_timeout: 20s }\nlogging: { level: debug, access_log: true }\nobservability: { metrics: { enabled: true } }');
    const { changed, restartRequired } = configChanges(a, b);
    expect(changed).to.have.members(['server.read_timeout', 'logging.access_log']);
    expect(restartRequired).to.have.members(['server.port', 'logging.level', 'observability.metrics.enabled']);
    const applied = withRestartFieldsKept(b, a);
    expect([applied.server.port, applied.server.read_timeout, applied.logging.level, applied.logging.access_log, applied.observability.metrics.enabled])
      .to.deep.equal([0, 20_000, 'info', true, false]);
    expect(b.server.port).to.equal(9999); // the loaded config is not modified
    expect(configChanges(a, applied)).to.deep.equal({ changed: ['server.read_timeout', 'logging.access_log'], restartRequired: [] });
  });
});
