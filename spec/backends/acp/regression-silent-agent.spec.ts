import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { emptyCall, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import { AcpBackend } from '../../../lib/backends/acp/index.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { FAKE_ACP_AGENT, eventually, fakeAgentLog, processGone } from '../../helpers/fake-acp.js';

/**
 * Found by probing agents that stall: a stdio agent that went silent in the middle of a turn
 * (it sent the prompt's first update, or nothing at all, and then nothing more) held the
 * request for ever, and with it its session's lock and its pool slot: a few such agents made the
 * backend answer LIP_ERR_UPSTREAM_AGENT_BUSY to every other session. The HTTP transport failed
 * after http_client.body_timeout (undici's timer); the stdio one had no bound. A turn is now
 * bounded by http_client.body_timeout between two messages from the agent, over either
 * transport, on the backend's scheduler (virtual time here).
 */
describe('regression: an ACP agent that goes silent in a turn fails it at http_client.body_timeout', function () {
  this.timeout(30_000);
  const BODY_TIMEOUT = 300_000; // http_client.body_timeout's default
  const target = { model: 'fake-model', candidateKey: 'agent:fake-model' };
  const call = (session: string): Call => emptyCall({
    model: 'agent:fake-model', metadata: { session_id: session }, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
  });
  const open: AcpBackend[] = [];
  afterEach(async () => { await Promise.all(open.splice(0).map((b) => b.close())); });

  const make = (log: string, clock: VirtualTimeScheduler, row: Record<string, unknown> = {}) => {
    const b = new AcpBackend({
      id: 'agent', kind: 'acp', models: [], command: process.execPath, args: [FAKE_ACP_AGENT], env: { FAKE_ACP_MODE: 'slow', FAKE_ACP_LOG: log }, ...row,
    }, { env: { PATH: process.env.PATH ?? '' }, scheduler: clock });
    open.push(b);
    return b;
  };
  /** Runs the virtual clock up to `frame` (and no further). */
  const advance = (clock: VirtualTimeScheduler, frame: number) => {
    clock.schedule(() => undefined, frame - clock.frame);
    clock.maxFrames = frame;
    clock.flush();
  };
  const watch = (b: AcpBackend, c: Call) => {
    const seen: { events: LipEvent[]; error?: LipError; completed: boolean } = { events: [], completed: false };
    b.stream(c, target).subscribe({
      next: (e) => seen.events.push(e),
      error: (e: unknown) => { seen.error = isLipError(e) ? e : undefined; },
      complete: () => { seen.completed = true; },
    });
    return seen;
  };
  const text = (events: LipEvent[]) => events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('');

  it('fails a silent turn as retryable LIP_ERR_UPSTREAM_BODY_TIMEOUT and ends the agent, which frees its pool slot', async () => {
    const log = fakeAgentLog();
    const clock = new VirtualTimeScheduler();
    const b = make(log.path, clock, { max_processes: 1 });
    const prompts = () => log.messages().filter((m) => m.message.method === 'session/prompt');
    const first = watch(b, call('a'));
    await eventually(() => prompts().length === 1);
    advance(clock, BODY_TIMEOUT - 1);
    expect(first.error).to.equal(undefined);
    advance(clock, BODY_TIMEOUT);
    await eventually(() => first.error !== undefined);
    expect(first.error).to.include({ code: 'LIP_ERR_UPSTREAM_BODY_TIMEOUT', retryable: true });
    expect(first.error!.message).to.equal('acp agent: the agent sent nothing for 300000 ms of its turn (http_client.body_timeout)');
    expect(text(first.events)).to.equal('');
    const pid = prompts()[0]!.pid;
    await eventually(() => processGone(pid));
    // With max_processes 1 the wedged agent held the only slot: another session was refused
    // (AGENT_BUSY) for as long as it stayed silent. Now it gets an agent of its own.
    const second = watch(b, call('b'));
    await eventually(() => prompts().length === 2);
    expect(prompts()[1]!.pid).to.not.equal(pid);
    expect(second.error).to.equal(undefined);
  });

  it('counts from the last message the agent sent, and fails in-band after its output', async () => {
    const log = fakeAgentLog();
    const clock = new VirtualTimeScheduler();
    const b = make(log.path, clock);
    const prompts = () => log.messages().filter((m) => m.message.method === 'session/prompt');
    const turn = watch(b, call('a'));
    await eventually(() => prompts().length === 1);
    advance(clock, BODY_TIMEOUT - 1);
    process.kill(prompts()[0]!.pid, 'SIGUSR1'); // the agent sends one message chunk
    await eventually(() => text(turn.events) !== '');
    advance(clock, 2 * BODY_TIMEOUT - 2); // past the first deadline, short of the new one
    expect(turn.error).to.equal(undefined);
    advance(clock, 2 * BODY_TIMEOUT - 1);
    await eventually(() => turn.error !== undefined);
    expect(turn.error!.code).to.equal('LIP_ERR_UPSTREAM_BODY_TIMEOUT');
    expect(text(turn.events)).to.equal('still here ');
    expect(turn.events.some((e) => e.type === 'response_finished')).to.equal(false);
    expect(turn.completed).to.equal(false);
  });
});
