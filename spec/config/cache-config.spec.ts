import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const BACKENDS = 'backends: [{ id: a, kind: localstub }]';
const messages = (yaml: string): string[] => configIssues(`${BACKENDS}\n${yaml}`);

describe('config: cache', () => {
  it('defaults: off, in memory, an hour, 64 MiB in all and 1 MiB an answer, per principal', () => {
    expect(configFrom(BACKENDS).cache).to.deep.equal({ enabled: false, store: 'memory', ttl: 3_600_000, max_bytes: 64 * 1024 * 1024, max_entry_bytes: 1024 * 1024, scope: 'principal' });
  });

  it('accepts a full section', () => {
    expect(configFrom(`${BACKENDS}\ncache: { enabled: true, store: redis, ttl: 10m, max_bytes: 1GiB, max_entry_bytes: 4MiB, scope: global }`).cache)
      .to.deep.equal({ enabled: true, store: 'redis', ttl: 600_000, max_bytes: 1024 ** 3, max_entry_bytes: 4 * 1024 ** 2, scope: 'global' });
  });

  it('refuses what cannot work, naming the key', () => {
    expect(messages('cache: { ttl: 500ms }')).to.deep.equal(['cache.ttl: must be at least 1s (got 500 ms)']);
    expect(messages('cache: { max_bytes: 1MiB, max_entry_bytes: 2MiB }')).to.deep.equal(['cache.max_entry_bytes: must not exceed cache.max_bytes (1048576 bytes): no answer that large could be kept']);
    expect(messages('cache: { store: disk }')).to.have.length(1);
    expect(messages('cache: { store: disk }')[0]).to.match(/^cache\.store: /);
    expect(messages('cache: { enabled: true, keys: [model] }')[0]).to.match(/^cache(\.keys)?: /);
  });
});
