import { expect } from 'chai';
import { FlowGate } from '../../lib/wire/index.js';

describe('wire/FlowGate', () => {
  it('an open gate calls back at once', () => {
    const gate = new FlowGate();
    let resumed = 0;
    gate.onOpen(() => resumed++);
    expect([gate.closed, resumed]).to.deep.equal([false, 1]);
  });

  it('a closed gate holds every waiter until it opens, then calls each once', () => {
    const gate = new FlowGate();
    gate.close();
    const calls: string[] = [];
    gate.onOpen(() => calls.push('a'));
    gate.onOpen(() => calls.push('b'));
    expect(calls).to.deep.equal([]);
    gate.open();
    gate.open();
    expect([gate.closed, calls]).to.deep.equal([false, ['a', 'b']]);
  });

  it('a cancelled wait is never called (a source torn down while paused)', () => {
    const gate = new FlowGate();
    gate.close();
    let called = false;
    const cancel = gate.onOpen(() => { called = true; });
    cancel();
    gate.open();
    expect(called).to.equal(false);
  });
});
