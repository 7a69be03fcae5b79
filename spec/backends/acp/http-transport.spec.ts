import { expect } from 'chai';
import { lastValueFrom, toArray } from 'rxjs';
import { emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { AcpBackend } from '../../../lib/backends/acp/index.js';
import { isLipError, type LipError } from '../../../lib/errors/index.js';
import { startAcpHttpEmulator, type AcpHttpEmulator, type AcpHttpFaults } from '../../helpers/emulators/index.js';
import { eventually } from '../../helpers/fake-acp.js';

const target = { model: 'agent', candidateKey: 'remote:agent' };
const call = emptyCall({ model: 'remote:agent', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi there' }] }] });

describe('backends/acp: transport http (POST {base_url}/v1/acp, NDJSON answers)', function () {
  this.timeout(30_000);
  let emulator: AcpHttpEmulator;
  let backend: AcpBackend;
  const start = async (faults: AcpHttpFaults = {}, row: Record<string, unknown> = {}) => {
    emulator = await startAcpHttpEmulator(faults);
    backend = new AcpBackend({ id: 'remote', kind: 'acp', models: [], transport: 'http', base_url: emulator.url, headers: { 'x-team': 'lip' }, api_key: 'agent-token', ...row }, {});
  };
  afterEach(async () => { await backend.close(); await emulator.close(); });

  it('runs the handshake and streams the NDJSON answer of session/prompt', async () => {
    await start();
    const events = await lastValueFrom(backend.stream(call, target).pipe(toArray()));
    expect(emulator.messages.map((m) => m.method)).to.deep.equal(['initialize', 'session/new', 'session/prompt']);
    expect(events.map((e) => e.type)).to.deep.equal(['response_started', 'message_started', 'reasoning_delta', 'text_delta', 'response_finished']);
    expect(events[3]).to.deep.equal({ type: 'text_delta', text: 'over http: **User:** hi there' });
    expect(emulator.headers).to.deep.equal(Array(3).fill({ authorization: 'Bearer agent-token', team: 'lip' }));
  });

  it('answers a permission request from the answer body with a POST of its own (denied by default)', async () => {
    await start({ permission: true });
    const events = await lastValueFrom(backend.stream(call, target).pipe(toArray()));
    expect((events.find((e) => e.type === 'text_delta') as { text: string }).text).to.match(/^permission=nope /);
    const reply = emulator.messages.find((m) => m.id === 7001 && m.method === undefined)!;
    expect(reply.result).to.deep.equal({ outcome: { outcome: 'selected', optionId: 'nope' } });
  });

  it('sends session/cancel on unsubscribe and closes the prompt response', async () => {
    await start({ slow: true });
    const sub = backend.stream(call, target).subscribe();
    await eventually(() => emulator.messages.some((m) => m.method === 'session/prompt'));
    sub.unsubscribe();
    await eventually(() => emulator.messages.some((m) => m.method === 'session/cancel'));
    expect(emulator.messages.find((m) => m.method === 'session/cancel')!.params).to.deep.equal({ sessionId: 'http-sess-1' });
  });

  it('refuses an api_key on a stdio agent and a missing command or base_url', () => {
    expect(() => new AcpBackend({ id: 'x', kind: 'acp', models: [], command: '/bin/true', api_key: 'k' }, {})).to.throw(/takes no api_key/);
    expect(() => new AcpBackend({ id: 'x', kind: 'acp', models: [] }, {})).to.throw(/needs command/);
    expect(() => new AcpBackend({ id: 'x', kind: 'acp', models: [], transport: 'http' }, {})).to.throw(/needs base_url/);
  });

  // Found by probing odd agents: an answer that broke off kept the connection and its session; once
  // the agent server had restarted, every later call failed with "Session not found" (not
  // retryable) until the agent idled out.
  it('starts a new session after an answer broke off', async () => {
    await start({ cutFirst: true });
    const error = await new Promise<LipError>((resolve, reject) => backend.stream(call, target).subscribe({
      error: (e: unknown) => (isLipError(e) ? resolve(e) : reject(e)),
      complete: () => reject(new Error('completed')),
    }));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_RESET', retryable: true });
    const events = await lastValueFrom(backend.stream(call, target).pipe(toArray()));
    expect(events.find((e) => e.type === 'text_delta')).to.deep.equal({ type: 'text_delta', text: 'over http: **User:** hi there' });
    expect(emulator.messages.map((m) => m.method)).to.deep.equal(['initialize', 'session/new', 'session/prompt', 'initialize', 'session/new', 'session/prompt']);
  });

  // Found by probing: an agent server that restarted while no turn ran answered the next prompt
  // "Session not found" (-32602); lip kept the connection and its session id, so every later call
  // of that client session failed the same way, not retryable, and re-armed idle_timeout.
  it('opens a new session with the whole history once the agent server restarted between turns', async () => {
    await start();
    await lastValueFrom(backend.stream(call, target).pipe(toArray()));
    emulator.restart();
    const next = emptyCall({ model: 'remote:agent', messages: [...call.messages, { role: 'assistant', parts: [{ type: 'text', text: 'over http: **User:** hi there' }] }, { role: 'user', parts: [{ type: 'text', text: 'and now?' }] }] });
    const error = await new Promise<LipError>((resolve, reject) => backend.stream(next, target).subscribe({
      next: (e: LipEvent) => { if (e.type === 'text_delta') reject(new Error('output')); },
      error: (e: unknown) => (isLipError(e) ? resolve(e) : reject(e)),
      complete: () => reject(new Error('completed')),
    }));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable: true });
    expect(error.message).to.contain('Session not found: http-sess-1');
    const events = await lastValueFrom(backend.stream(next, target).pipe(toArray()));
    expect(emulator.messages.map((m) => m.method)).to.deep.equal(['initialize', 'session/new', 'session/prompt', 'session/prompt', 'initialize', 'session/new', 'session/prompt']);
    expect(emulator.messages.at(-1)!.params.sessionId).to.equal('http-sess-2');
    expect(events.find((e) => e.type === 'text_delta')).to.deep.equal({
      type: 'text_delta', text: 'over http: Previous Context:\n\n**User:** hi there\n\n**Assistant:** over http: **User:** hi there\n\n---\n\n**User:** and now?',
    });
  });

  it('fails a prompt answered with 503 as retryable', async () => {
    await start({ status: 503 });
    const error = await new Promise<LipError>((resolve, reject) => backend.stream(call, target).subscribe({
      next: (e: LipEvent) => { if (e.type === 'text_delta') reject(new Error('output')); },
      error: (e: unknown) => (isLipError(e) ? resolve(e) : reject(e)),
      complete: () => reject(new Error('completed')),
    }));
    expect(error.code).to.equal('LIP_ERR_UPSTREAM_STATUS');
    expect(error.status).to.equal(503);
    expect(error.retryable).to.equal(true);
  });

  it('fails a prompt answered with a redirect as a retryable 502 (a 3xx is never the client status)', async () => {
    await start({ status: 307 });
    const error = await new Promise<LipError>((resolve, reject) => backend.stream(call, target).subscribe({
      error: (e: unknown) => (isLipError(e) ? resolve(e) : reject(e)),
      complete: () => reject(new Error('completed')),
    }));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 502, retryable: true });
    expect(error.detail).to.include({ upstream_status: 307 });
  });
});
