import diagnostics from 'node:diagnostics_channel';
import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { UpstreamAbort } from '../../../lib/backends/http/upstream-abort.js';
import { UpstreamClient } from '../../../lib/backends/http/upstream-client.js';

describe('backends/http/UpstreamAbort', () => {
  it('calls each listener once on the first abort, with AbortController\'s default reason', () => {
    const abort = new UpstreamAbort();
    const heard: string[] = [];
    abort.addEventListener('abort', () => heard.push('a'));
    abort.addEventListener('abort', () => heard.push('b'), { once: true });
    expect(abort.aborted).to.equal(false);
    abort.abort();
    abort.abort(new Error('later')); // only the first abort counts
    expect(heard).to.deep.equal(['a', 'b']);
    expect(abort.aborted).to.equal(true);
    expect(abort.reason).to.be.instanceOf(DOMException);
    expect((abort.reason as DOMException).name).to.equal('AbortError');
  });

  it('keeps the reason given, never calls a removed listener nor one added after the abort', () => {
    const abort = new UpstreamAbort();
    const heard: string[] = [];
    const removed = () => heard.push('removed');
    abort.addEventListener('abort', removed);
    abort.removeEventListener('abort', removed);
    abort.removeEventListener('abort', () => undefined); // unknown: nothing happens
    const reason = new Error('gone');
    abort.abort(reason);
    abort.addEventListener('abort', () => heard.push('late'));
    expect(heard).to.deep.equal([]);
    expect(abort.reason).to.equal(reason);
  });

  it('as an AbortSignal: a listener removed by an earlier one is not called, and one that throws does not stop the others (its error is reported)', () => {
    const abort = new UpstreamAbort();
    const called: string[] = [];
    const second = () => called.push('second');
    abort.addEventListener('abort', () => { called.push('first'); abort.removeEventListener('abort', second); });
    abort.addEventListener('abort', second);
    abort.addEventListener('abort', () => { called.push('third'); throw new Error('listener broke'); });
    abort.addEventListener('abort', () => called.push('fourth'));
    const reported: unknown[] = [];
    const onReport = (message: unknown) => reported.push((message as { error: Error }).error.message);
    diagnostics.subscribe('lip:internal-error', onReport);
    try {
      abort.abort();
    } finally {
      diagnostics.unsubscribe('lip:internal-error', onReport);
    }
    expect(called).to.deep.equal(['first', 'third', 'fourth']);
    expect(reported).to.deep.equal(['listener broke']);
  });

  it('gives a real AbortSignal that aborts with it, made before or after the abort', () => {
    const early = new UpstreamAbort();
    const signal = early.signal();
    expect(signal).to.be.instanceOf(AbortSignal);
    expect(early.signal()).to.equal(signal);
    const reason = new Error('stop');
    early.abort(reason);
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.equal(reason);
    const late = new UpstreamAbort();
    late.abort(reason);
    expect(late.signal().aborted).to.equal(true);
    expect(late.signal().reason).to.equal(reason);
  });

  it('aborts an upstream request in flight through undici: the request rejects and its socket closes', async () => {
    const sockets: Socket[] = [];
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => { closed = resolve; });
    // An upstream that reads the request and never answers.
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => closed());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new UpstreamClient();
    try {
      const abort = new UpstreamAbort();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
      const pending = client.open({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}' }, abort);
      while (sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
      const reason = new Error('client left');
      abort.abort(reason);
      const outcome = await pending.then(() => 'answered', (err: unknown) => err);
      expect(outcome).to.equal(reason);
      await socketClosed;
    } finally {
      await client.close(0);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
