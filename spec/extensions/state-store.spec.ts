import { MemoryStateStore, type StateStore } from '../../lib/extensions/state-store.js';
import { runStateStoreSuite } from './state-store-suite.js';

describe('extensions/MemoryStateStore', () => {
  let now = 0;
  runStateStoreSuite({
    name: 'memory',
    ttlMs: 1_000,
    async open(count) {
      const store = new MemoryStateStore({}, () => now);
      // Handles of one process share the instance; each may close it.
      return Array.from({ length: count }, () => store as StateStore);
    },
    async elapse(ms) { now += ms; },
  });
});
