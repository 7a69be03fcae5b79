import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { emptyCall, type Call, type LipEvent, type Message } from '../../../lib/canonical/index.js';
import { AcpBackend, type AcpLifecycle } from '../../../lib/backends/acp/index.js';
import { DEFAULT_HTTP_SETTINGS } from '../../../lib/backends/http/index.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { FAKE_ACP_AGENT, eventually, fakeAgentLog } from '../../helpers/fake-acp.js';

const target = { model: 'fake-model', candidateKey: 'agent:fake-model' };
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const assistant = (text: string): Message => ({ role: 'assistant', parts: [{ type: 'text', text }] });
const call = (messages: Message[], extra: Partial<Call> = {}): Call => emptyCall({ model: 'agent:fake-model', messages, ...extra });

function backend(log: string, mode = '', row: Record<string, unknown> = {}): AcpBackend {
  return new AcpBackend({
    id: 'agent', kind: 'acp', models: [], command: process.execPath, args: [FAKE_ACP_AGENT],
    env: { FAKE_ACP_MODE: mode, FAKE_ACP_LOG: log }, ...row,
  }, { env: { PATH: process.env.PATH ?? '' } });
}

const run = (b: AcpBackend, c: Call) => lastValueFrom(b.stream(c, target).pipe(toArray()));
const text = (events: LipEvent[]) => events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text).join('');
const failure = async (b: AcpBackend, c: Call): Promise<{ error: LipError; events: LipEvent[] }> => {
  const events: LipEvent[] = [];
  return new Promise((resolve, reject) => b.stream(c, target).subscribe({
    next: (e) => events.push(e),
    error: (error: unknown) => (isLipError(error) ? resolve({ error, events }) : reject(error)),
    complete: () => reject(new Error('completed')),
  }));
};

function lifecycle(): { events: AcpLifecycle[]; stop(): void } {
  const events: AcpLifecycle[] = [];
  const on = (m: unknown) => events.push(m as AcpLifecycle);
  listen('lip:acp', on);
  return { events, stop: () => unlisten('lip:acp', on) };
}

describe('backends/acp: AcpBackend over stdio (fake agent)', function () {
  this.timeout(30_000);
  const open: AcpBackend[] = [];
  const make = (...args: Parameters<typeof backend>) => { const b = backend(...args); open.push(b); return b; };
  afterEach(async () => { await Promise.all(open.splice(0).map((b) => b.close())); });

  it('runs the handshake, prompts, and maps thoughts, plan, tool activity and text to canonical events', async () => {
    const log = fakeAgentLog();
    const events = await run(make(log.path), call([user('hello agent')]));
    const methods = log.messages().map((m) => m.message.method);
    expect(methods).to.deep.equal(['initialize', 'session/new', 'session/prompt']);
    const [init, session, prompt] = log.messages().map((m) => m.message);
    expect(init!.params).to.deep.include({ protocolVersion: 1 });
    expect(init!.params.clientCapabilities).to.deep.equal({ fs: { readTextFile: false, writeTextFile: false }, terminal: false });
    expect(session!.params).to.deep.equal({ cwd: process.cwd(), mcpServers: [] });
    expect(prompt!.params.prompt).to.deep.equal([{ type: 'text', text: '**User:** hello agent' }]);
    expect(events[0]).to.deep.equal({ type: 'response_started', model: 'fake-model' });
    expect(events.filter((e) => e.type === 'reasoning_delta').map((e) => (e as { text: string }).text))
      .to.deep.equal(['Thinking it over.', '\n[plan]\n- [completed] read the prompt\n']);
    expect(text(events)).to.match(/> tool `Read notes\.md` \(read\) started/);
    expect(text(events)).to.match(/```tool\nRead notes\.md \(read\): completed\ninput: 19 bytes, output: 12 bytes\n```/);
    expect(text(events)).to.match(/heard: \*\*User:\*\* hello agent$/);
    expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
  });

  it('keeps the agent for the session and sends only the new tail; an edited history respawns it', async () => {
    const log = fakeAgentLog();
    const b = make(log.path);
    const first = text(await run(b, call([user('one')])));
    const pid = /pid=(\d+)/.exec(first)![1];
    const second = text(await run(b, call([user('one'), assistant(first), user('two')])));
    expect(/pid=(\d+)/.exec(second)![1]).to.equal(pid);
    expect(second).to.match(/heard: \*\*User:\*\* two$/);
    const retry = text(await run(b, call([user('one'), assistant(first), user('two')])));
    expect(/pid=(\d+)/.exec(retry)![1]).to.equal(pid);
    expect(retry).to.match(/heard: \*\*User:\*\* two$/);
    const edited = text(await run(b, call([user('ONE'), assistant(first), user('two')])));
    expect(/pid=(\d+)/.exec(edited)![1]).to.not.equal(pid);
    expect(edited).to.include('heard: Previous Context:\n\n**User:** ONE\n\n**Assistant:**');
    expect(edited).to.match(/---\n\n\*\*User:\*\* two$/);
    expect(log.messages().filter((m) => m.message.method === 'initialize')).to.have.length(2);
  });

  it('gives each client session its own agent', async () => {
    const log = fakeAgentLog();
    const b = make(log.path);
    const a = text(await run(b, call([user('x')], { metadata: { session_id: 'a' } })));
    const c = text(await run(b, call([user('x')], { metadata: { session_id: 'b' } })));
    expect(/pid=(\d+)/.exec(a)![1]).to.not.equal(/pid=(\d+)/.exec(c)![1]);
  });

  it('authenticates when session/new asks for it, and pushes the reasoning effort', async () => {
    const log = fakeAgentLog();
    await run(make(log.path, 'auth'), call([user('hi')], { options: { reasoning: { effort: 'high' } } }));
    const messages = log.messages().map((m) => m.message);
    expect(messages.map((m) => m.method)).to.deep.equal(['initialize', 'session/new', 'authenticate', 'session/new', 'session/set_config_option', 'session/prompt']);
    expect(messages[2]!.params).to.deep.equal({ methodId: 'fake-login' });
    expect(messages[4]!.params).to.deep.include({ configId: 'reasoning_effort', value: 'high' });
  });

  it('denies permission requests by default and allows them with auto_accept', async () => {
    const denied = text(await run(make(fakeAgentLog().path, 'permission'), call([user('go')])));
    expect(denied).to.include('permission={"outcome":"selected","optionId":"no"}');
    const allowed = text(await run(make(fakeAgentLog().path, 'permission', { auto_accept: true }), call([user('go')])));
    expect(allowed).to.include('permission={"outcome":"selected","optionId":"yes"}');
  });

  it('answers an unknown agent request with -32601', async () => {
    expect(text(await run(make(fakeAgentLog().path, 'unknown'), call([user('go')])))).to.include('unknown=-32601');
  });

  it('fails an attempt whose agent crashed before output as retryable, and respawns for the next call', async () => {
    const log = fakeAgentLog();
    const b = make(log.path, 'crash');
    const { error, events } = await failure(b, call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_RESET');
    expect(error.retryable).to.equal(true);
    expect(events.some((e) => e.type === 'text_delta')).to.equal(false);
    await failure(b, call([user('hi')]));
    expect(new Set(log.messages().map((m) => m.pid)).size).to.equal(2);
  });

  it('reports a crash after output as an error after the text', async () => {
    const { error, events } = await failure(make(fakeAgentLog().path, 'crash_after'), call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_RESET');
    expect(text(events)).to.match(/pid=\d+/);
  });

  // Found by probing odd agents: one that never answered session/set_config_option (sent for a
  // call with a reasoning effort) held its conversation's lock: that call hung, and so did every
  // later call of the conversation, even after the client left. It is now bounded by
  // http_client.headers_timeout, as the handshake is, and the agent is let go.
  it('bounds an unanswered session/set_config_option and lets the agent go; the next call gets a fresh one', async () => {
    const log = fakeAgentLog();
    const b = new AcpBackend({
      id: 'agent', kind: 'acp', models: [], command: process.execPath, args: [FAKE_ACP_AGENT], env: { FAKE_ACP_MODE: 'silent_config', FAKE_ACP_LOG: log.path },
    }, { env: { PATH: process.env.PATH ?? '' }, http: { ...DEFAULT_HTTP_SETTINGS, headers_timeout: 3_000 } });
    open.push(b);
    const { error } = await failure(b, call([user('hi')], { options: { reasoning: { effort: 'high' } } }));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', retryable: true });
    expect(error.message).to.equal('acp agent: the agent did not answer session/set_config_option within http_client.headers_timeout (3000 ms)');
    // The same conversation without an effort is served, by a new agent.
    expect(text(await run(b, call([user('hi')])))).to.match(/heard: /);
    expect(new Set(log.messages().map((m) => m.pid)).size).to.equal(2);
  });

  // Found by the same probe: an agent that closed its stdout but kept running left the turn
  // waiting for ever (no output: no failover either).
  it('fails the turn of an agent that closes its output and keeps running, before and after output', async () => {
    for (const [mode, output] of [['close_stdout_before', false], ['close_stdout', true]] as const) {
      const { error, events } = await failure(make(fakeAgentLog().path, mode), call([user('hi')]));
      expect(error, mode).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
      expect(error.message).to.equal('acp agent: the agent closed its output (stdout)');
      expect(events.some((e) => e.type === 'text_delta'), mode).to.equal(output);
    }
  });

  // And an agent that answered the prompt with an id lip never sent: the prompt waited for ever.
  it('ends an agent that answers a request lip never sent', async () => {
    const { error } = await failure(make(fakeAgentLog().path, 'wrong_id'), call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    expect(error.message).to.match(/agent answered a request lip never sent \(id \d+\)/);
  });

  it('ends an agent that sends a line over 1 MiB', async () => {
    const { error } = await failure(make(fakeAgentLog().path, 'oversize'), call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
  });

  it('fails a turn that opens more tools than it keeps (10,000) with LIP_ERR_UPSTREAM_LIMIT_EXCEEDED, and serves the next call', async () => {
    const b = make(fakeAgentLog().path, 'many_tools');
    const { error, events } = await failure(b, call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
    expect(error.message).to.contain('more than 10000 tools');
    expect(text(events)).to.contain('started');
    const again = await failure(b, call([user('again')]));
    expect(again.error.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED'); // the same agent, the same limit: no hang
  });

  it('maps a JSON-RPC error answer to the prompt', async () => {
    const { error } = await failure(make(fakeAgentLog().path, 'error'), call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_STREAM_ERROR');
    expect(error.message).to.include('model overloaded');
    expect(error.retryable).to.equal(true);
  });

  it('refuses tool definitions and tool results (retryable, so routing can move on)', async () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const { error } = await failure(make(fakeAgentLog().path), call([user('hi')], { tools }));
    expect(error.code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
    expect(error.retryable).to.equal(true);
  });

  it('sends session/cancel when the subscriber leaves mid-turn, and keeps the agent that honoured it', async () => {
    const log = fakeAgentLog();
    const watch = lifecycle();
    try {
      const b = make(log.path, 'slow');
      const sub: Subscription = b.stream(call([user('hi')]), target).subscribe();
      await eventually(() => log.messages().some((m) => m.message.method === 'session/prompt'));
      sub.unsubscribe();
      await eventually(() => log.messages().some((m) => m.message.method === 'session/cancel'));
      const cancel = log.messages().find((m) => m.message.method === 'session/cancel')!.message;
      expect(cancel.params.sessionId).to.match(/^sess-/);
      expect(cancel.id).to.equal(undefined);
      expect(watch.events.map((e) => e.event)).to.include('cancel');
      // the agent stays in the pool: the next turn is served by the same process
      await eventually(() => watch.events.some((e) => e.event === 'cancel'));
      const second = b.stream(call([user('hi')]), target).subscribe();
      await eventually(() => log.messages().filter((m) => m.message.method === 'session/prompt').length === 2);
      expect(new Set(log.messages().map((m) => m.pid)).size).to.equal(1);
      second.unsubscribe();
    } finally {
      watch.stop();
    }
  });

  // Found by probing: a call queued on an agent whose call ahead reset it (an edited history)
  // was handed that dead agent when its turn came, and failed with "agent process is gone".
  it('gives a call queued on an agent that the call ahead ended the agent that replaced it', async () => {
    const log = fakeAgentLog();
    const b = make(log.path, 'slow');
    const errors: unknown[] = [];
    const first = b.stream(call([user('A1')]), target).subscribe({ error: (e) => errors.push(e) });
    const other = b.stream(call([user('B1')]), target).subscribe({ error: (e) => errors.push(e) });
    const again = b.stream(call([user('A1')]), target).subscribe({ error: (e) => errors.push(e) });
    const prompts = () => log.messages().filter((m) => m.message.method === 'session/prompt');
    await eventually(() => prompts().length === 1);
    first.unsubscribe(); // the agent answers the cancel: B1 takes its turn, resets it (another history) and gets a new agent
    await eventually(() => prompts().length === 2);
    expect(errors).to.deep.equal([]);
    other.unsubscribe(); // the retry of A1 waited behind B1 on the new agent; it resets that one too
    await eventually(() => prompts().length === 3);
    expect(errors).to.deep.equal([]);
    expect(prompts().map((m) => m.message.params.prompt[0].text)).to.deep.equal(['**User:** A1', '**User:** B1', '**User:** A1']);
    expect(new Set(prompts().map((m) => m.pid)).size).to.equal(3);
    again.unsubscribe();
  });

  it('kills an agent that ignores session/cancel once cancel_grace has passed', async () => {
    const log = fakeAgentLog();
    const watch = lifecycle();
    try {
      const b = make(log.path, 'slow,ignore_cancel', { cancel_grace: 50 });
      const sub = b.stream(call([user('hi')]), target).subscribe();
      await eventually(() => log.messages().some((m) => m.message.method === 'session/prompt'));
      sub.unsubscribe();
      await eventually(() => watch.events.some((e) => e.event === 'exit'));
      expect(log.messages().some((m) => m.message.method === 'session/cancel')).to.equal(true);
      expect(watch.events.map((e) => e.event)).to.include.members(['cancel', 'kill', 'exit']);
    } finally {
      watch.stop();
    }
  });

  it('reaps idle agents and keeps at most max_processes', async () => {
    const watch = lifecycle();
    try {
      const b = make(fakeAgentLog().path, '', { max_processes: 1 });
      await run(b, call([user('x')], { metadata: { session_id: 'a' } }));
      await run(b, call([user('x')], { metadata: { session_id: 'b' } }));
      expect(watch.events.filter((e) => e.event === 'kill')).to.have.length(1);
      const slow = make(fakeAgentLog().path, 'slow', { max_processes: 1 });
      const sub = slow.stream(call([user('x')], { metadata: { session_id: 'a' } }), target).subscribe();
      await eventually(() => watch.events.filter((e) => e.event === 'ready').length === 3);
      const { error } = await failure(slow, call([user('x')], { metadata: { session_id: 'b' } }));
      expect(error.code).to.equal('LIP_ERR_UPSTREAM_AGENT_BUSY');
      expect(error.retryable).to.equal(true);
      sub.unsubscribe();
      const idle = make(fakeAgentLog().path, '', { idle_timeout: 30 });
      await run(idle, call([user('x')]));
      await eventually(() => watch.events.some((e) => e.event === 'reap'));
    } finally {
      watch.stop();
    }
  });

  it('fails over when the command cannot be started', async () => {
    const b = make(fakeAgentLog().path, '', { command: '/nonexistent/agent-binary' });
    const { error } = await failure(b, call([user('hi')]));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_CONNECT');
    expect(error.retryable).to.equal(true);
  });
});
