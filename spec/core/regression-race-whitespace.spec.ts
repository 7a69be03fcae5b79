import { expect } from 'chai';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { Backend, Target } from '../../lib/backends/backend.js';
import { emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import type { LipError } from '../../lib/errors/index.js';
import { testConfig } from '../helpers/config.js';

/**
 * A backend whose model `ws-<n>` streams whitespace deltas of n spaces, one per turn of the event
 * loop, for as long as it is subscribed (an upstream that never says anything), and `ok` answers.
 * `subscribed` counts the streams still open.
 */
class WhitespaceBackend implements Backend {
  readonly kind = 'whitespace';
  readonly models = ['ws-10', 'ok'];
  subscribed = 0;

  constructor(readonly id: string) {}

  stream(_call: Call, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      this.subscribed++;
      subscriber.next({ type: 'response_started' });
      if (target.model === 'ok') {
        subscriber.next({ type: 'text_delta', text: 'hi' });
        subscriber.next({ type: 'response_finished', reason: 'stop' });
        subscriber.complete();
        return () => { this.subscribed--; };
      }
      const spaces = ' '.repeat(Number(target.model.slice('ws-'.length)));
      let timer: NodeJS.Immediate | undefined;
      const tick = (): void => {
        subscriber.next({ type: 'text_delta', text: spaces });
        if (!subscriber.closed) timer = setImmediate(tick);
      };
      timer = setImmediate(tick);
      return () => {
        clearImmediate(timer);
        this.subscribed--;
      };
    });
  }
}

function run(executor: Executor, route: string, meta: ExecutionMeta): Promise<LipEvent[]> {
  const call = emptyCall({ model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  return lastValueFrom(executor.execute(call, { requestId: 'r1', routeHeader: route, meta }).pipe(toArray()));
}

/**
 * Found by the large-payload probe: a race leg's events are held until substantive output, but
 * server.max_pending_wire_events stopped counting at the first output event, and whitespace text
 * is one. Legs that streamed only whitespace grew their buffers without bound (RSS 136 -> 620 MB
 * in 9 s) while the client got nothing and the upstreams were never paused.
 */
describe('core: a race leg that streams only whitespace is bounded like any held events', () => {
  it('fails each leg past server.max_pending_wire_events (retryable), so the race fails instead of holding forever', async () => {
    const a = new WhitespaceBackend('a');
    const config = testConfig('  - { id: a, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, max_pending_wire_events: 50 }\nrouting: { default_route: "a:ok" }');
    const executor = new Executor(config, new Map<string, Backend>([['a', a]]));
    const meta: ExecutionMeta = {};
    const err = await run(executor, 'a:ws-10 ! a:ws-10', meta).then(() => undefined, (e: unknown) => e as LipError);
    expect(err?.code).to.equal('LIP_ERR_ROUTE_ALL_FAILED');
    expect(err?.message).to.contain('server.max_pending_wire_events');
    expect(meta.journal?.map((j) => [j.outcome, j.code])).to.deep.equal([['failed', 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED'], ['failed', 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED']]);
    expect(a.subscribed).to.equal(0);
  });

  it('bounds the characters held by server.max_buffered_bytes when the events are few and large', async () => {
    const a = new WhitespaceBackend('a');
    // 10 events of 10,000 spaces pass the event count; 65,536 characters do not.
    const config = testConfig('  - { id: a, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, max_pending_wire_events: 10000, max_buffered_bytes: 64KiB }\nrouting: { default_route: "a:ok" }');
    const executor = new Executor(config, new Map<string, Backend>([['a', a]]));
    const meta: ExecutionMeta = {};
    a.models.push('ws-10000');
    const err = await run(executor, 'a:ws-10000 ! a:ws-10000', meta).then(() => undefined, (e: unknown) => e as LipError);
    expect(err?.code).to.equal('LIP_ERR_ROUTE_ALL_FAILED');
    expect(err?.message).to.contain('server.max_buffered_bytes');
    expect(a.subscribed).to.equal(0);
  });

  it('a leg that fails on whitespace drops out and the other leg serves', async () => {
    const a = new WhitespaceBackend('a');
    const config = testConfig('  - { id: a, kind: localstub }', 'server: { host: 127.0.0.1, port: 0, max_pending_wire_events: 50 }\nrouting: { default_route: "a:ok" }');
    const executor = new Executor(config, new Map<string, Backend>([['a', a]]));
    const meta: ExecutionMeta = {};
    const events = await run(executor, 'a:ws-10 ! a:ok', meta);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text)).to.deep.equal(['hi']);
    expect(meta.candidateKey).to.equal('a:ok');
  });
});
