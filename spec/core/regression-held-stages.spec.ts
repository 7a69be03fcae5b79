import { expect } from 'chai';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import type { Backend, Target } from '../../lib/backends/backend.js';
import { COLLECT_LIMITS, emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import type { LipError } from '../../lib/errors/index.js';
import { createExtensionHost, MemoryStateStore } from '../../lib/extensions/index.js';
import { testConfig } from '../helpers/config.js';

const MiB = 1024 * 1024;
const chunk = 'x'.repeat(MiB); // one string: held many times, it costs one MiB

/**
 * A backend that starts an answer (model `args`: a tool call; `text`: text) and then streams 1 MiB
 * deltas of it, one per turn of the event loop, without end while subscribed (at most `max`, so
 * that the test ends however the stages behave). `sent` counts the deltas, `subscribed` the
 * streams still open.
 */
class EndlessBackend implements Backend {
  readonly kind = 'endless';
  readonly models = ['args', 'text'];
  sent = 0;
  subscribed = 0;

  constructor(readonly id: string, private readonly max: number) {}

  stream(_call: Call, target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      this.subscribed++;
      subscriber.next({ type: 'response_started' });
      subscriber.next({ type: 'message_started' });
      const args = target.model === 'args';
      if (args) subscriber.next({ type: 'tool_call_started', id: 'call_1', name: 'lookup' });
      const delta: LipEvent = args ? { type: 'tool_call_delta', id: 'call_1', args: chunk } : { type: 'text_delta', text: chunk };
      let timer: NodeJS.Immediate | undefined;
      const tick = (): void => {
        if (this.sent >= this.max) {
          subscriber.next(args ? { type: 'tool_call_finished', id: 'call_1' } : { type: 'response_finished', reason: 'stop' });
          if (args) subscriber.next({ type: 'response_finished', reason: 'tool_calls' });
          subscriber.complete();
          return;
        }
        this.sent++;
        subscriber.next(delta);
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

function run(executor: Executor, route: string, meta: ExecutionMeta): Promise<LipEvent[] | LipError> {
  const call = emptyCall({
    model: 'x', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'look it up' }] }],
    tools: [{ name: 'lookup', parameters: { type: 'object' } }],
  });
  return lastValueFrom(executor.execute(call, { requestId: 'r1', routeHeader: route, meta }).pipe(toArray())).catch((e: unknown) => e as LipError);
}

/**
 * Stream stages that hold output (tool-call repair holds each tool call until its end; a
 * completion gate holds the whole completion) run after the attempt's first output, where
 * server.max_pending_wire_events no longer counts. An upstream that streamed tool-call arguments
 * (or, under a gate, a completion) without end was held in memory without bound. They now fail
 * the attempt with LIP_ERR_RESPONSE_TOO_LARGE past collect()'s limits, like the encoders' held output.
 */
describe('core: stream stages that hold output are bounded', function () {
  this.timeout(60_000);

  it('tool-call repair (on by default) holding a tool call whose arguments never end: LIP_ERR_RESPONSE_TOO_LARGE past 128 Mi characters', async () => {
    const steps = COLLECT_LIMITS.toolArgsChars / MiB;
    const backend = new EndlessBackend('a', steps + 50);
    const config = testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:args" }');
    const extensions = createExtensionHost(config, { state: new MemoryStateStore() });
    expect(extensions?.hooks.get('toolFinalizers').map((r) => r.feature)).to.deep.equal(['tool-call-repair']);
    const executor = new Executor(config, new Map<string, Backend>([['a', backend]]), { extensions: extensions! });
    const meta: ExecutionMeta = {};
    const result = await run(executor, 'a:args', meta);
    expect((result as LipError).code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
    expect((result as LipError).message).to.contain('tool arguments');
    expect(backend.sent).to.equal(steps + 1);
    expect(backend.subscribed).to.equal(0);
  });

  it('a completion gate holding a completion that never ends: LIP_ERR_RESPONSE_TOO_LARGE past 64 Mi characters, the gate never asked', async () => {
    const steps = COLLECT_LIMITS.textChars / MiB;
    const backend = new EndlessBackend('a', steps + 50);
    let asked = 0;
    const config = testConfig('  - { id: a, kind: localstub }', 'routing: { default_route: "a:text" }');
    const extensions = createExtensionHost(config, {
      state: new MemoryStateStore(),
      builtIn: [{ id: 'judge', bundle: { completionGates: [{ id: 'judge', gate: () => { asked++; return { action: 'pass_original' }; } }] } }],
    });
    const executor = new Executor(config, new Map<string, Backend>([['a', backend]]), { extensions: extensions! });
    const result = await run(executor, 'a:text', {});
    expect((result as LipError).code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
    expect((result as LipError).message).to.contain('response text');
    expect(backend.sent).to.equal(steps + 1);
    expect(backend.subscribed).to.equal(0);
    expect(asked).to.equal(0);
  });
});
