import { expect } from 'chai';
import type { BackendRow } from '../../../lib/backends/backend.js';
import { HttpBackend, type HttpProtocol } from '../../../lib/backends/http/index.js';
import { chatProtocol, OPENAI_CHAT_DEFAULTS } from '../../../lib/backends/openai-chat/index.js';
import { emptyCall } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { drain, startOpenAIChatEmulator, type Emulator } from '../../helpers/emulators/index.js';

const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
const target = { model: 'm', candidateKey: 'b:m' };

/**
 * The renewable-credential seam of the HTTP source (HttpProtocol.renew): after a 401 or 403 the
 * kind may renew the key's credential once per attempt; the same key then goes out again. The
 * kind's own behaviour (openai-codex's OAuth refresh) is specified in its folder.
 */
describe('backends/http: renewing a credential after a 401/403', () => {
  let emu: Emulator;
  const backends: HttpBackend[] = [];
  before(async () => { emu = await startOpenAIChatEmulator(); });
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await emu.close();
  });
  beforeEach(() => emu.reset());

  /**
   * A chat backend whose `renew` answers `answer` and counts the calls; keys are sent as given.
   * `again`: the protocol's refusedAfterRenewal.
   */
  const backend = (answer: () => true | LipError | undefined, keys = ['k1', 'k2'], again?: HttpProtocol['refusedAfterRenewal']) => {
    const row: BackendRow = { id: 'b', kind: 'openai-chat', models: [], base_url: emu.url, api_keys: keys };
    const calls: [string | undefined, number][] = [];
    const b = new HttpBackend(row, {}, 'openai-chat', {
      ...chatProtocol(row, OPENAI_CHAT_DEFAULTS),
      renew: async (key, status) => { calls.push([key, status]); return answer(); },
      ...(again ? { refusedAfterRenewal: again } : {}),
    });
    backends.push(b);
    return { b, calls };
  };

  it('sends the same key again after a renewal, once per attempt', async () => {
    const { b, calls } = backend(() => true);
    emu.enqueue({ status: 401, error: { message: 'expired' } }, { status: 401, error: { message: 'expired again' } });
    const { error } = await drain(b.stream(call, target));
    // Renewed once (k1 again), then the second 401 is the pool's: k1 retired, k2 serves.
    expect(error).to.equal(undefined);
    expect(calls).to.deep.equal([['k1', 401]]);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['k1', 'k1', 'k2']);
  });

  it('never retires a renewable key refused again after its renewal: the call fails with what the kind says', async () => {
    const refusedAgain: [string, number][] = [];
    const { b } = backend(() => true, ['k1', 'k2'], (key, status) => {
      refusedAgain.push([key, status]);
      return key === 'k1' ? new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', 'renewed and refused again', { status: 503 }) : undefined;
    });
    emu.enqueue({ status: 401, error: { message: 'expired' } }, { status: 401, error: { message: 'expired again' } });
    expect((await drain(b.stream(call, target))).error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', message: 'renewed and refused again' });
    expect(refusedAgain).to.deep.equal([['k1', 401]]);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['k1', 'k1']);
    // k1 is still in the rotation: the next call starts with k2 (round-robin), then k1 serves.
    expect((await drain(b.stream(call, target))).error).to.equal(undefined);
    expect((await drain(b.stream(call, target))).error).to.equal(undefined);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['k1', 'k1', 'k2', 'k1']);
  });

  it('renews after a 403 too (the pool alone would not retry one)', async () => {
    const { b, calls } = backend(() => true);
    emu.enqueue({ status: 403, error: { message: 'forbidden' } });
    expect((await drain(b.stream(call, target))).error).to.equal(undefined);
    expect(calls).to.deep.equal([['k1', 403]]);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['k1', 'k1']);
  });

  it('fails the attempt with the renewal\'s error', async () => {
    const { b } = backend(() => new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', 'refresh failed: nope', { status: 503 }));
    emu.enqueue({ status: 401, error: { message: 'expired' } });
    const { error } = await drain(b.stream(call, target));
    expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS', message: 'refresh failed: nope' });
    expect(emu.requests).to.have.length(1);
  });

  it('handles the answer as before when there is nothing to renew, and is not asked about other statuses', async () => {
    const { b, calls } = backend(() => undefined);
    emu.enqueue({ status: 401, error: { message: 'bad key' } }, { status: 400, error: { message: 'bad request' } });
    const { error } = await drain(b.stream(call, target));
    expect(error).to.include({ status: 400 });
    expect(calls).to.deep.equal([['k1', 401]]);
    expect(emu.requests.map((r) => r.key)).to.deep.equal(['k1', 'k2']);
  });
});
