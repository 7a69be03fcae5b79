import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import { VirtualTimeScheduler } from 'rxjs';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { AcpBackend, type AcpLifecycle } from '../../../lib/backends/acp/index.js';
import type { Target } from '../../../lib/backends/backend.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { FlowGate } from '../../../lib/wire/index.js';
import { startAcpHttpEmulator, type AcpHttpEmulator } from '../../helpers/emulators/index.js';
import { FAKE_ACP_AGENT, eventually, fakeAgentLog } from '../../helpers/fake-acp.js';

/** A flow gate that counts the sources waiting on it and the waits they cancelled. */
class WatchedGate extends FlowGate {
  waits = 0;
  cancels = 0;
  override onOpen(resume: () => void): () => void {
    if (this.closed) this.waits++;
    const cancel = super.onOpen(resume);
    return () => { this.cancels++; cancel(); };
  }
}

const CHUNK = 256 * 1024; // the fake agents' flood: 80 chunks of this many characters

/**
 * Found by probing a flooding agent behind a slow client: nothing in the acp backend read the
 * client's backpressure (`target.flow`), so lip read the agent as fast as it wrote, buffered what
 * the client could not take and cut the client off with LIP_ERR_SERVER_CLIENT_TOO_SLOW. A slow
 * client now pauses the agent (its stdout, or the HTTP answer's body) until it drains, as the
 * HTTP backends pause their upstream body; the wait is the client's, so the agent's silence is
 * not counted meanwhile.
 */
describe('regression: a slow client pauses an ACP agent instead of filling lip\'s memory', function () {
  this.timeout(60_000);
  const call = emptyCall({ model: 'agent:m', messages: [{ role: 'user', parts: [{ type: 'text', text: 'flood me' }] }] });
  const open: AcpBackend[] = [];
  let emulator: AcpHttpEmulator | undefined;
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    await emulator?.close();
    emulator = undefined;
  });

  const stdio = (log: string, clock?: VirtualTimeScheduler) => {
    const b = new AcpBackend({
      id: 'agent', kind: 'acp', models: [], command: process.execPath, args: [FAKE_ACP_AGENT], env: { FAKE_ACP_MODE: 'flood', FAKE_ACP_LOG: log },
    }, { env: { PATH: process.env.PATH ?? '' }, ...(clock ? { scheduler: clock } : {}) });
    open.push(b);
    return b;
  };
  const watch = (b: AcpBackend, target: Target) => {
    const seen: { events: LipEvent[]; error?: LipError | unknown; completed: boolean; text: () => number } = {
      events: [], completed: false,
      text: () => seen.events.reduce((n, e) => n + (e.type === 'text_delta' ? e.text.length : 0), 0),
    };
    const subscription = b.stream(call, target).subscribe({
      next: (e) => seen.events.push(e),
      error: (e: unknown) => { seen.error = isLipError(e) ? e : e; },
      complete: () => { seen.completed = true; },
    });
    return { seen, subscription };
  };

  it('over stdio: stops reading the agent while the client cannot take more, and goes on when it can', async () => {
    const clock = new VirtualTimeScheduler();
    const b = stdio(fakeAgentLog().path, clock);
    const gate = new WatchedGate();
    gate.close(); // the client's socket is full from the start
    const { seen } = watch(b, { model: 'm', candidateKey: 'agent:m', flow: gate });
    await eventually(() => gate.waits === 1, 20_000); // the source paused the agent after its first chunk
    expect(seen.text()).to.equal(CHUNK);
    clock.flush(); // however long the client takes: the wait is not the agent's silence
    expect(seen.error).to.equal(undefined);
    expect(seen.completed).to.equal(false);
    gate.open();
    await eventually(() => seen.completed || seen.error !== undefined, 30_000);
    expect(seen.error).to.equal(undefined);
    expect(seen.text()).to.equal(80 * CHUNK);
    expect(seen.events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('over stdio: a client that leaves while the agent is paused cancels the wait and the turn, and the agent stays pooled', async () => {
    const log = fakeAgentLog();
    const lifecycle: AcpLifecycle[] = [];
    const onEvent = (m: unknown) => lifecycle.push(m as AcpLifecycle);
    listen('lip:acp', onEvent);
    try {
      const b = stdio(log.path);
      const gate = new WatchedGate();
      gate.close();
      const { subscription } = watch(b, { model: 'm', candidateKey: 'agent:m', flow: gate });
      await eventually(() => gate.waits === 1, 20_000);
      subscription.unsubscribe();
      expect(gate.cancels).to.equal(1);
      // lip reads the agent again, so it hears the cancel's answer: the agent is kept, not killed
      const next = watch(b, { model: 'm', candidateKey: 'agent:m' });
      await eventually(() => next.seen.completed || next.seen.error !== undefined, 30_000);
      expect(next.seen.error).to.equal(undefined);
      expect(next.seen.text()).to.equal(80 * CHUNK);
      expect(new Set(log.messages().map((m) => m.pid)).size).to.equal(1);
      expect(lifecycle.map((e) => e.event)).to.not.include('kill');
    } finally {
      unlisten('lip:acp', onEvent);
    }
  });

  it('over HTTP: stops reading the answer body (the agent server\'s writes back up), and goes on when the client can take more', async () => {
    emulator = await startAcpHttpEmulator({ flood: true });
    const b = new AcpBackend({ id: 'remote', kind: 'acp', models: [], transport: 'http', base_url: emulator.url }, {});
    open.push(b);
    const gate = new WatchedGate();
    gate.close();
    const { seen } = watch(b, { model: 'm', candidateKey: 'remote:m', flow: gate });
    await eventually(() => gate.waits === 1, 20_000);
    await eventually(() => emulator!.flood.waiting, 20_000); // the server cannot write on
    expect(emulator.flood.written).to.be.lessThan(80);
    expect(seen.completed).to.equal(false);
    gate.open();
    await eventually(() => seen.completed || seen.error !== undefined, 30_000);
    expect(seen.error).to.equal(undefined);
    expect(seen.text()).to.equal(80 * CHUNK);
  });
});
