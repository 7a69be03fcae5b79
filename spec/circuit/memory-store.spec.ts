import { MemoryCircuitHub } from '../../lib/circuit/memory-store.js';
import { runStoreSuite } from './store-suite.js';

/** The memory store under the shared store contract: handles on one hub share it like clients of one Redis. */
runStoreSuite({
  name: 'memory',
  async open(policy, count, maxKeys) {
    const hub = new MemoryCircuitHub(policy, maxKeys);
    return Array.from({ length: count }, (_, i) => hub.connect(`m${i}`));
  },
  // The memory store expires records by the `now` each call passes: nothing has to wait.
  async elapse() {},
});
