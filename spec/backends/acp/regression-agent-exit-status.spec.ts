import { expect } from 'chai';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { AcpBackend } from '../../../lib/backends/acp/index.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { FAKE_ACP_AGENT, fakeAgentLog } from '../../helpers/fake-acp.js';

/**
 * Found by probing crashing agents: an agent that exited was always reported as "the agent
 * closed its output (stdout)", its exit code or signal lost. Its stdout's end is read before the
 * process's exit is reaped, and the end failed the turn first. An end now waits (briefly) for the
 * exit, so the error says how the agent ended; an agent that closes its stdout and keeps running
 * is still reported as such (spec/backends/acp/source.spec.ts).
 */
describe('regression: an ACP agent that exits is reported with its exit code or signal', function () {
  this.timeout(30_000);
  const target = { model: 'fake-model', candidateKey: 'agent:fake-model' };
  const call = emptyCall({ model: 'agent:fake-model', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  const open: AcpBackend[] = [];
  afterEach(async () => { await Promise.all(open.splice(0).map((b) => b.close())); });

  const failure = (mode: string) => {
    const b = new AcpBackend({
      id: 'agent', kind: 'acp', models: [], command: process.execPath, args: [FAKE_ACP_AGENT], env: { FAKE_ACP_MODE: mode, FAKE_ACP_LOG: fakeAgentLog().path },
    }, { env: { PATH: process.env.PATH ?? '' } });
    open.push(b);
    const events: LipEvent[] = [];
    return new Promise<{ error: LipError; events: LipEvent[] }>((resolve, reject) => b.stream(call, target).subscribe({
      next: (e) => events.push(e),
      error: (e: unknown) => (isLipError(e) ? resolve({ error: e, events }) : reject(e)),
      complete: () => reject(new Error('completed')),
    }));
  };

  for (const [mode, said, output] of [
    ['crash', 'code 3', false],
    ['crash_after', 'code 4', true],
    ['crash_signal', 'signal SIGKILL', false],
  ] as const) {
    it(`${mode}: "agent exited (${said})"`, async () => {
      // Several times: which of the two the event loop hears first varies from run to run.
      for (let i = 0; i < 3; i++) {
        const { error, events } = await failure(mode);
        expect(error, mode).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
        expect(error.message).to.equal(`acp agent: agent exited (${said})`);
        expect(events.some((e) => e.type === 'text_delta')).to.equal(output);
      }
    });
  }
});
