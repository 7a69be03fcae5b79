import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { emptyCall, type Call } from '../../../lib/canonical/index.js';
import { AcpBackend } from '../../../lib/backends/acp/index.js';
import { FAKE_ACP_AGENT, eventually, fakeAgentLog, processGone } from '../../helpers/fake-acp.js';

/**
 * Found by probing an agent started through a wrapper (`sh -c "agent; echo bye >&2"`) that runs
 * a tool (`sleep 300`): ending the agent (cancel_grace passed, idle reap, room made at
 * max_processes, shutdown or reload) SIGKILLed the shell only. The agent and its tool ran on,
 * orphaned, for ever. lip now starts each agent in a process group of its own and kills the group.
 */
describe('regression: ending an ACP agent ends what it started', function () {
  this.timeout(30_000);
  if (process.platform === 'win32') return;
  const target = { model: 'fake-model', candidateKey: 'agent:fake-model' };
  const call = (session: string): Call => emptyCall({
    model: 'agent:fake-model', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], metadata: { session_id: session },
  });
  const open: AcpBackend[] = [];
  const started: number[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    for (const pid of started.splice(0)) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
  });

  /** A backend whose agent runs under a shell wrapper and starts a tool. */
  function wrapped(mode: string, row: Record<string, unknown> = {}) {
    const log = fakeAgentLog();
    const b = new AcpBackend({
      id: 'agent', kind: 'acp', models: [], command: '/bin/sh', args: ['-c', `"${process.execPath}" "${FAKE_ACP_AGENT}"; echo bye >&2`],
      env: { FAKE_ACP_MODE: `grandchild,${mode}`, FAKE_ACP_LOG: log.path }, ...row,
    }, { env: { PATH: process.env.PATH ?? '' } });
    open.push(b);
    /** The agent and tool processes started so far. */
    const processes = () => {
      const pids = log.grandchildren().flatMap((l) => [l.pid, l.grandchild]);
      started.push(...pids.filter((p) => !started.includes(p)));
      return pids;
    };
    return { b, log, processes };
  }

  const allGone = (pids: number[]) => eventually(() => pids.every(processGone), 20_000);

  it('when an agent that ignores session/cancel is killed after cancel_grace', async () => {
    const { b, log, processes } = wrapped('slow,ignore_cancel', { cancel_grace: 50 });
    const sub = b.stream(call('a'), target).subscribe({ error: () => undefined });
    await eventually(() => log.messages().some((m) => m.message.method === 'session/prompt'));
    const pids = processes();
    expect(pids).to.have.length(2);
    sub.unsubscribe();
    await allGone(pids);
  });

  it('when an idle agent is reaped, and when one makes room at max_processes', async () => {
    const idle = wrapped('', { idle_timeout: 30 });
    await lastValueFrom(idle.b.stream(call('a'), target).pipe(toArray()));
    await allGone(idle.processes());

    const full = wrapped('', { max_processes: 1 });
    await lastValueFrom(full.b.stream(call('a'), target).pipe(toArray()));
    const first = full.processes();
    await lastValueFrom(full.b.stream(call('b'), target).pipe(toArray()));
    await allGone(first);
    expect(full.processes().filter((p) => !processGone(p))).to.have.length(2); // the agent of session b and its tool
  });

  it('when the backend closes (shutdown, reload)', async () => {
    const { b, processes } = wrapped('');
    await lastValueFrom(b.stream(call('a'), target).pipe(toArray()));
    const pids = processes();
    expect(pids.filter((p) => !processGone(p))).to.have.length(2);
    await b.close();
    await allGone(pids);
  });

  it('when the agent exits of itself', async () => {
    const { b, processes } = wrapped('crash');
    await lastValueFrom(b.stream(call('a'), target).pipe(toArray())).catch(() => undefined);
    await allGone(processes().filter((p, i) => i % 2 === 1)); // the tool; the agent exited
  });
});
