import { expect } from 'chai';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { FrameCounter } from '../../lib/server/websocket-frame-counter.js';

/** ws's own parser of a client's frames (untyped by @types/ws). */
interface WsReceiver {
  on(event: 'message' | 'ping' | 'pong', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  write(chunk: Buffer): boolean;
}
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver };

/** One client frame (masked, as a client's must be): `opcode` 1 text, 0 continuation, 9 ping, 10 pong. */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const head = length < 126 ? Buffer.from([0, 0x80 | length]) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
  } else if (length >= 65536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, masked]);
}

describe('server/websocket-frame-counter', () => {
  it('counts the payload and wire bytes of a message in progress, and ends it with its FIN frame', () => {
    const frames = new FrameCounter();
    const first = frame(1, Buffer.from('{"type":'), false);
    frames.push(first.subarray(0, 1));
    expect([frames.payload, frames.wire]).to.deep.equal([0, 1]);
    frames.push(first.subarray(1));
    expect([frames.payload, frames.wire, frames.ended]).to.deep.equal([8, 14, 0]);
    // A ping between fragments is no message's.
    frames.push(frame(9, Buffer.from('ping')));
    expect([frames.payload, frames.wire]).to.deep.equal([8, 14]);
    frames.push(frame(0, Buffer.from('"x"}'), true));
    expect([frames.payload, frames.wire, frames.ended]).to.deep.equal([0, 0, 1]);
  });

  it('reads 16- and 64-bit lengths, and an empty final frame ends its message', () => {
    const frames = new FrameCounter();
    frames.push(frame(1, Buffer.alloc(300, 0x61), false).subarray(0, 100));
    expect([frames.payload, frames.wire]).to.deep.equal([92, 100]);
    const frames64 = new FrameCounter();
    frames64.push(frame(1, Buffer.alloc(70_000, 0x61), false));
    expect([frames64.payload, frames64.wire]).to.deep.equal([70_000, 70_014]);
    frames64.push(frame(0, Buffer.alloc(0), true));
    expect([frames64.payload, frames64.ended]).to.deep.equal([0, 1]);
  });

  it('agrees with ws on every stream: messages ended, and the payload of the one in progress', () => {
    const message = fc.record({
      // Fragment sizes (one fragment: an unfragmented message); the sizes straddle 126 and 65536.
      fragments: fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(125, 126, 65_535, 65_536, 70_000)), { minLength: 1, maxLength: 4 }),
      // Control frames after the fragment of that index.
      pings: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
    });
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 20 }), (messages, cuts) => {
      const parts: { bytes: Buffer; payload: number; data: boolean; ends: boolean }[] = [];
      for (const m of messages) {
        m.fragments.forEach((size, i) => {
          const last = i === m.fragments.length - 1;
          parts.push({ bytes: frame(i === 0 ? 1 : 0, Buffer.alloc(size, 0x61), last), payload: size, data: true, ends: last });
          for (const at of m.pings) if (at === i && !last) parts.push({ bytes: frame(at % 2 === 0 ? 9 : 10, Buffer.from('p')), payload: 0, data: false, ends: false });
        });
      }
      const stream = Buffer.concat(parts.map((p) => p.bytes));
      // What ws makes of it, cut as the property says.
      const receiver = new Receiver({ isServer: true, maxPayload: 0 });
      let received = 0;
      receiver.on('message', () => received++);
      receiver.on('error', (err) => { throw err; });
      const frames = new FrameCounter();
      let at = 0;
      for (let c = 0; at < stream.length; c++) {
        const end = Math.min(stream.length, at + cuts[c % cuts.length]!);
        const chunk = stream.subarray(at, end);
        frames.push(chunk);
        receiver.write(Buffer.from(chunk));
        at = end;
        expect(frames.ended).to.equal(received);
        // The payload of the message in progress: its data frames' bytes read so far.
        let offset = 0;
        let payload = 0;
        for (const p of parts) {
          const got = Math.max(0, Math.min(p.bytes.length, at - offset));
          if (p.data) payload += Math.max(0, got - (p.bytes.length - p.payload));
          if (p.ends && got === p.bytes.length) payload = 0;
          offset += p.bytes.length;
        }
        expect(frames.payload).to.equal(payload);
      }
      expect(frames.ended).to.equal(messages.length);
      expect([frames.payload, frames.wire]).to.deep.equal([0, 0]);
    }), { numRuns: 300 });
  });
});
