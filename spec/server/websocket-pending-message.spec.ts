import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { DecodeAdmission } from '../../lib/server/decode-admission.js';
import { PendingMessage, type PendingRefusal } from '../../lib/server/websocket-pending-message.js';

/** One client text frame (masked), `fin` false for a fragment that more follow. */
function frame(payload: string, fin = true, opcode = 1): Buffer {
  const bytes = Buffer.from(payload);
  if (bytes.length > 125) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | bytes.length, 0, 0, 0, 0]), bytes]);
}

describe('server/websocket-pending-message', () => {
  const scheduler = () => new TestScheduler((actual, expected) => { expect(actual).to.deep.equal(expected); });

  /** A pending message under `limits`, its refusals with the (virtual) time of each. */
  function pending(test: TestScheduler, limits: { maxBytes: number; timeoutMs: number }, admission = new DecodeAdmission(8, 1000)) {
    const refusals: (PendingRefusal & { at: number })[] = [];
    const message = new PendingMessage({ limits: () => limits, admission, refuse: (r) => refusals.push({ ...r, at: test.now() }), scheduler: test });
    return { message, refusals, admission };
  }

  it('a message that arrives in one read holds nothing and is never refused', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals, admission } = pending(test, { maxBytes: 100, timeoutMs: 50 });
      message.read(Buffer.concat([frame('{"a":1}'), frame('{"b":2}')]));
      expect(admission.inflight.bytes).to.equal(0);
      test.schedule(() => expect(refusals).to.deep.equal([]), 1_000);
    });
  });

  it('a message past maxBytes is refused (1009) with its read, not once whole; its bytes are let go', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals, admission } = pending(test, { maxBytes: 10, timeoutMs: 0 });
      message.read(frame('0123456789', false));
      expect(admission.inflight.bytes).to.equal(16);
      expect(refusals).to.deep.equal([]);
      message.read(frame('x', false, 0));
      expect(refusals).to.deep.equal([{ code: 1009, reason: 'message too big', at: 0 }]);
      expect(admission.inflight.bytes).to.equal(0);
      // Nothing more is read.
      message.read(frame('y', false, 0));
      expect(refusals).to.have.length(1);
    });
  });

  it('the bytes of messages in progress are held against the decode byte budget: beyond it, 1013', () => {
    const test = scheduler();
    test.run(() => {
      const admission = new DecodeAdmission(1, 100);
      const a = pending(test, { maxBytes: 1000, timeoutMs: 0 }, admission);
      const b = pending(test, { maxBytes: 1000, timeoutMs: 0 }, admission);
      a.message.read(frame('x'.repeat(60), false));
      expect(admission.inflight).to.deep.equal({ decodes: 0, bytes: 66 });
      b.message.read(frame('y'.repeat(30), false));
      expect(b.refusals.map((r) => r.code)).to.deep.equal([1013]);
      expect(admission.inflight.bytes).to.equal(66);
      // Whole: a's bytes are let go (its turn enters as a request).
      a.message.read(frame('}', true, 0));
      expect(admission.inflight.bytes).to.equal(0);
      a.message.read(frame('z'.repeat(30), false));
      expect(admission.inflight.bytes).to.equal(36);
      a.message.close();
      expect(admission.inflight.bytes).to.equal(0);
      expect(a.refusals).to.deep.equal([]);
    });
  });

  it('a message arriving for longer than timeoutMs is refused (1008), however it trickles', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals, admission } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.read(frame('{', false));
      for (const at of [50, 100, 150, 199]) test.schedule(() => message.read(frame('a', false, 0)), at);
      test.schedule(() => {
        expect(refusals).to.deep.equal([{ code: 1008, reason: 'message not received within server.read_timeout', at: 200 }]);
        expect(admission.inflight.bytes).to.equal(0);
      }, 300);
    });
  });

  it('each message has its own time: one whole in time clears it, the next counts from its first byte', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.read(frame('{', false));
      test.schedule(() => message.read(frame('}', true, 0)), 150);
      // The next message begins in the read that ends this one.
      test.schedule(() => message.read(Buffer.concat([frame('{', false), frame('}', true, 0), frame('{', false)])), 300);
      test.schedule(() => expect(refusals.map((r) => [r.code, r.at])).to.deep.equal([[1008, 500]]), 1_000);
    });
  });

  it('a ping between fragments is no message\'s, and no message begins with one', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals, admission } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.read(frame('p', true, 9));
      expect(admission.inflight.bytes).to.equal(0);
      test.schedule(() => message.read(frame('p', true, 10)), 500);
      test.schedule(() => expect(refusals).to.deep.equal([]), 1_000);
    });
  });

  it('the time does not count while suspended: it goes on from where it was', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.read(frame('{', false));
      test.schedule(() => message.suspend(true), 50);
      test.schedule(() => message.suspend(false), 1_000);
      test.schedule(() => expect(refusals.map((r) => [r.code, r.at])).to.deep.equal([[1008, 1_150]]), 2_000);
    });
  });

  it('a message that begins while suspended counts from the resumption; timeoutMs 0 never refuses', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.suspend(true);
      message.read(frame('{', false));
      test.schedule(() => message.suspend(false), 500);
      const off = pending(test, { maxBytes: 1000, timeoutMs: 0 });
      off.message.read(frame('{', false));
      test.schedule(() => {
        expect(refusals.map((r) => [r.code, r.at])).to.deep.equal([[1008, 700]]);
        expect(off.refusals).to.deep.equal([]);
      }, 10_000);
    });
  });

  it('close() lets the bytes go and stops the time', () => {
    const test = scheduler();
    test.run(() => {
      const { message, refusals, admission } = pending(test, { maxBytes: 1000, timeoutMs: 200 });
      message.read(frame('{', false));
      test.schedule(() => message.close(), 100);
      test.schedule(() => {
        expect(refusals).to.deep.equal([]);
        expect(admission.inflight.bytes).to.equal(0);
      }, 1_000);
    });
  });
});
