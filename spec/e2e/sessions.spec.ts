import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptRow } from '../../lib/continuity/index.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest, openStream, type RawResponse } from '../helpers/sse-client.js';
import { VirtualClock } from '../continuity/virtual-clock.js';

const ALICE = 'alice-key-0123456789';
const MALLORY = 'mallory-key-0123456789';
const TOKEN = /^[A-Za-z0-9_-]{64}$/;
const DENIED = { code: 'LIP_ERR_SESSION_DENIED', message: 'session could not be resumed; start a new conversation by sending neither X-LIP-Session-Id nor X-LIP-Resume-Token' };

/** The smallest request of each protocol, streamed or not, with optional body metadata. */
const PROTOCOLS = {
  'openai-chat': (stream: boolean, metadata?: Record<string, string>) => ({ path: '/v1/chat/completions', body: { model: 'up:m', stream, messages: [{ role: 'user', content: 'hi' }], ...(metadata ? { metadata } : {}) } }),
  'openai-responses': (stream: boolean, metadata?: Record<string, string>) => ({ path: '/v1/responses', body: { model: 'up:m', stream, input: 'hi', ...(metadata ? { metadata } : {}) } }),
  anthropic: (stream: boolean, metadata?: Record<string, string>) => ({ path: '/v1/messages', body: { model: 'up:m', stream, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...(metadata ? { metadata } : {}) } }),
  gemini: (stream: boolean) => ({ path: stream ? '/v1beta/models/up:m:streamGenerateContent?alt=sse' : '/v1beta/models/up:m:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }),
} as const;
type Protocol = keyof typeof PROTOCOLS;

/** The error code in any protocol's envelope. */
const codeOf = (res: RawResponse): string | undefined => {
  const body = JSON.parse(res.body) as { error?: { code?: unknown; status?: string; type?: string; message?: string }; type?: string };
  const code = body.error?.code;
  if (typeof code === 'string') return code;
  return /\b(LIP_ERR_[A-Z_]+)\b/.exec(res.body)?.[1];
};

/** Everything the upstream saw of a request, as one string (headers and body). */
const seen = (r: RecordedRequest) => JSON.stringify(r.headers) + r.raw;

describe('e2e: secure sessions (proxy-issued session ids and resume tokens)', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, `routing: { default_route: "up:m" }
diagnostics: { enabled: true }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: mallory, key: "${MALLORY}" } ] }`));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  const send = (protocol: Protocol, o: { stream?: boolean; headers?: Record<string, string>; metadata?: Record<string, string>; key?: string } = {}) => {
    const { path, body } = PROTOCOLS[protocol](o.stream ?? false, o.metadata);
    return httpRequest(`${lip.url}${path}`, { body: JSON.stringify(body), headers: { authorization: `Bearer ${o.key ?? ALICE}`, ...o.headers } });
  };
  const identity = (res: RawResponse) => ({ 'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string });

  for (const protocol of Object.keys(PROTOCOLS) as Protocol[]) {
    for (const stream of [false, true]) {
      it(`${protocol}, ${stream ? 'streamed' : 'not streamed'}: a new conversation gets a session id and a token once; the token resumes it; the upstream never sees either`, async () => {
        const first = await send(protocol, { stream });
        expect(first.status).to.equal(200);
        const { 'x-lip-session-id': sessionId, 'x-lip-resume-token': token } = identity(first);
        expect(sessionId).to.match(/^s_[0-9a-f]{32}$/);
        expect(token).to.match(TOKEN);
        const aLegId = first.headers['x-lip-a-leg-id'];
        // By header.
        const byHeader = await send(protocol, { stream, headers: identity(first) });
        expect([byHeader.status, byHeader.headers['x-lip-a-leg-id'], byHeader.headers['x-lip-resume-token']]).to.deep.equal([200, aLegId, undefined]);
        // By body metadata, where the protocol has metadata.
        if (protocol !== 'gemini') {
          const byBody = await send(protocol, { stream, metadata: { lip_resume_token: token, other: 'kept' } });
          expect([byBody.status, byBody.headers['x-lip-a-leg-id']]).to.deep.equal([200, aLegId]);
          if (protocol === 'openai-responses' && !stream) expect(JSON.parse(byBody.body).metadata).to.deep.equal({ other: 'kept' });
        }
        expect(upstream.requests.length).to.be.at.least(2);
        for (const r of upstream.requests) {
          expect(seen(r)).not.to.include(token);
          expect(seen(r)).not.to.include(sessionId);
          expect(seen(r).toLowerCase()).not.to.include('x-lip-');
        }
        if (protocol === 'openai-chat') expect(upstream.requests.at(-1)!.body.metadata).to.deep.equal({ other: 'kept' });
      });
    }

    it(`${protocol}: a session id without its token is refused (400) in the protocol's envelope`, async () => {
      const first = await send(protocol);
      const bare = await send(protocol, { headers: { 'x-lip-session-id': first.headers['x-lip-session-id'] as string } });
      // Anthropic's envelope has no code field: its type and message say it.
      if (protocol === 'anthropic') expect(JSON.parse(bare.body)).to.deep.include({ type: 'error' }).and.to.have.nested.property('error.type', 'invalid_request_error');
      else expect(codeOf(bare)).to.equal('LIP_ERR_SESSION_TOKEN_REQUIRED');
      expect(bare.status).to.equal(400);
      expect(bare.body).to.include('X-LIP-Resume-Token');
    });
  }

  it('a token of another principal is refused exactly like an unknown token', async () => {
    const alice = await send('openai-chat');
    const foreign = await send('openai-chat', { key: MALLORY, headers: identity(alice) });
    const unknown = await send('openai-chat', { key: MALLORY, headers: { 'x-lip-session-id': alice.headers['x-lip-session-id'] as string, 'x-lip-resume-token': 'Q'.repeat(64) } });
    const unknownMine = await send('openai-chat', { headers: { 'x-lip-resume-token': 'Q'.repeat(64) } });
    for (const res of [foreign, unknown, unknownMine]) {
      expect(res.status).to.equal(403);
      expect(JSON.parse(res.body).error).to.include(DENIED);
    }
    expect(foreign.body).to.equal(unknown.body);
    // Mallory's attempt did not disturb Alice's conversation.
    expect((await send('openai-chat', { headers: identity(alice) })).headers['x-lip-a-leg-id']).to.equal(alice.headers['x-lip-a-leg-id']);
  });

  it('a body token that is not a string is a 400 naming the field', async () => {
    const res = await send('anthropic', { metadata: { lip_resume_token: 42 } as unknown as Record<string, string> });
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.body).error.message).to.match(/^metadata\.lip_resume_token: must be a string/);
  });

  it('recordings never hold the token: not the response header, not the body metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-sessions-rec-'));
    const path = join(dir, 'traffic.jsonl');
    const recorded = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, `routing: { default_route: "up:m" }
recording: { enabled: true, path: "${path}" }`));
    try {
      const ask = (metadata?: Record<string, string>, headers: Record<string, string> = {}) => httpRequest(`${recorded.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'up:m', messages: [{ role: 'user', content: 'hi' }], ...(metadata ? { metadata } : {}) }), headers });
      const first = await ask();
      const token = identity(first)['x-lip-resume-token'];
      expect((await ask({ lip_resume_token: token })).status).to.equal(200);
      expect((await ask(undefined, identity(first))).status).to.equal(200);
    } finally {
      await recorded.close();
    }
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).to.have.length(3);
    for (const line of lines) expect(line).not.to.match(/[A-Za-z0-9_-]{64}/);
    expect(lines[0]).to.include('"x-lip-resume-token":"[REDACTED]"');
    rmSync(dir, { recursive: true, force: true });
  });

  it('an A-leg id sent with the token must be the token\'s', async () => {
    const one = await send('openai-chat');
    const two = await send('openai-chat');
    const crossed = await send('openai-chat', { headers: { ...identity(one), 'x-lip-a-leg-id': two.headers['x-lip-a-leg-id'] as string } });
    expect([crossed.status, JSON.parse(crossed.body).error.code]).to.deep.equal([403, 'LIP_ERR_SESSION_DENIED']);
    const matched = await send('openai-chat', { headers: { ...identity(one), 'x-lip-a-leg-id': one.headers['x-lip-a-leg-id'] as string } });
    expect(matched.status).to.equal(200);
  });

  // Found by probing: an A-leg id without a token was ignored (a new conversation), even beside the
  // previous_response_id of another conversation.
  it('an A-leg id without the token is refused (400) like a session id, also beside a previous_response_id', async () => {
    const one = await send('openai-chat');
    const bare = await send('openai-chat', { headers: { 'x-lip-a-leg-id': one.headers['x-lip-a-leg-id'] as string } });
    expect([bare.status, codeOf(bare)]).to.deep.equal([400, 'LIP_ERR_SESSION_TOKEN_REQUIRED']);
    expect(JSON.parse(bare.body).error.message).to.match(/^X-LIP-A-Leg-Id alone does not resume a conversation/);
    const stored = await httpRequest(`${lip.url}/v1/responses`, { body: JSON.stringify({ model: 'up:m', input: 'hi' }), headers: { authorization: `Bearer ${ALICE}` } });
    expect(stored.status).to.equal(200);
    const previous = await httpRequest(`${lip.url}/v1/responses`, {
      body: JSON.stringify({ model: 'up:m', input: 'and?', previous_response_id: JSON.parse(stored.body).id }),
      headers: { authorization: `Bearer ${ALICE}`, 'x-lip-a-leg-id': one.headers['x-lip-a-leg-id'] as string },
    });
    expect([previous.status, codeOf(previous)]).to.deep.equal([400, 'LIP_ERR_SESSION_TOKEN_REQUIRED']);
    // Without the header, the continued response's conversation is joined as before.
    const continued = await httpRequest(`${lip.url}/v1/responses`, { body: JSON.stringify({ model: 'up:m', input: 'and?', previous_response_id: JSON.parse(stored.body).id }), headers: { authorization: `Bearer ${ALICE}` } });
    expect(continued.headers['x-lip-a-leg-id']).to.equal(stored.headers['x-lip-a-leg-id']);
  });

  it('with client_session_ids, an A-leg id alone continues its conversation; beside another conversation\'s previous_response_id, 403', async () => {
    const single = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, `routing: { default_route: "up:m" }
continuity: { client_session_ids: true }`));
    try {
      const ask = (path: string, body: unknown, headers: Record<string, string> = {}) => httpRequest(`${single.url}${path}`, { body: JSON.stringify(body), headers });
      const chat = await ask('/v1/chat/completions', { model: 'up:m', messages: [{ role: 'user', content: 'hi' }] });
      const aLegId = chat.headers['x-lip-a-leg-id'] as string;
      const again = await ask('/v1/chat/completions', { model: 'up:m', messages: [{ role: 'user', content: 'hi' }] }, { 'x-lip-a-leg-id': aLegId });
      expect([again.status, again.headers['x-lip-a-leg-id'], again.headers['x-lip-resume-token']]).to.deep.equal([200, aLegId, undefined]);
      const stored = await ask('/v1/responses', { model: 'up:m', input: 'hi' });
      const crossed = await ask('/v1/responses', { model: 'up:m', input: 'and?', previous_response_id: JSON.parse(stored.body).id }, { 'x-lip-a-leg-id': aLegId });
      expect([crossed.status, JSON.parse(crossed.body).error.code]).to.deep.equal([403, 'LIP_ERR_SESSION_DENIED']);
    } finally {
      await single.close();
    }
  });

  describe('cancel endpoints', () => {
    const attempts = async (aLegId: string): Promise<AttemptRow[]> => {
      for (let i = 0; i < 200; i++) {
        const res = await httpRequest(`${lip.url}/admin/attempts?a_leg_id=${aLegId}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
        const rows = (JSON.parse(res.body) as { attempts: AttemptRow[] }).attempts;
        if (rows.length > 0 && rows.every((r) => r.outcome !== null)) return rows;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('attempts did not settle');
    };
    const cancel = (path: string, headers: Record<string, string>, key = ALICE, method = 'POST') => httpRequest(`${lip.url}${path}`, { method, body: method === 'POST' ? '' : undefined, headers: { authorization: `Bearer ${key}`, ...headers } } as never);

    /** Starts a streamed request that stalls upstream after its first output; resolves once that output arrived. */
    const openStalled = (path: string, body: unknown, headers: Record<string, string> = {}) => {
      upstream.enqueue({ text: ['first ', 'never'], fault: { stall: 'after_output' } });
      return openStream(`${lip.url}${path}`, body, { authorization: `Bearer ${ALICE}`, ...headers });
    };

    it('POST /lip/v1/a-legs/{id}/cancel aborts the in-flight stream: the upstream sees the close, the client an in-band error', async () => {
      const closed = upstream.nextClose();
      const { response, rest } = await openStalled('/v1/chat/completions', { model: 'up:m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      const aLegId = response.headers.get('x-lip-a-leg-id')!;
      const token = response.headers.get('x-lip-resume-token')!;
      expect(token).to.match(TOKEN);
      const res = await cancel(`/lip/v1/a-legs/${aLegId}/cancel`, { 'x-lip-resume-token': token });
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.body)).to.deep.equal({ a_leg_id: aLegId, status: 'cancelled', cancelled_requests: 1 });
      expect((await closed).path).to.equal('/v1/chat/completions');
      expect(await rest).to.include('LIP_ERR_REQUEST_CANCELLED');
      const [row] = await attempts(aLegId);
      expect(row).to.include({ outcome: 'cancelled', reason: `cancelled by POST /lip/v1/a-legs/${aLegId}/cancel` });
      // Nothing left in flight: cancelling again is a success that cancels nothing.
      expect(JSON.parse((await cancel(`/lip/v1/a-legs/${aLegId}/cancel`, { 'x-lip-resume-token': token })).body).cancelled_requests).to.equal(0);
    });

    it('a waiting non-streamed request of the A-leg answers 409 LIP_ERR_REQUEST_CANCELLED', async () => {
      const first = await send('openai-chat');
      upstream.enqueue({ text: 'never', fault: { stall: 'before_first_token' } });
      const closed = upstream.nextClose();
      const pending = send('openai-chat', { headers: identity(first) });
      for (let i = 0; i < 500 && upstream.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      const res = await cancel(`/lip/v1/a-legs/${first.headers['x-lip-a-leg-id'] as string}/cancel`, { 'x-lip-resume-token': identity(first)['x-lip-resume-token'] });
      expect(JSON.parse(res.body).cancelled_requests).to.equal(1);
      await closed;
      const answer = await pending;
      expect([answer.status, JSON.parse(answer.body).error.code]).to.deep.equal([409, 'LIP_ERR_REQUEST_CANCELLED']);
    });

    it('POST /v1/responses/{id}/cancel answers the Response object, cancelled, and closes the upstream', async () => {
      const closed = upstream.nextClose();
      const { response, head, rest } = await openStalled('/v1/responses', { model: 'up:m', stream: true, input: 'hi' });
      const id = /"id":"(resp_[^"]+)"/.exec(head)![1]!;
      const res = await cancel(`/v1/responses/${id}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.body)).to.deep.include({ id, object: 'response', status: 'cancelled', output: [] });
      await closed;
      await rest;
      // The id is no longer in flight.
      const again = await cancel(`/v1/responses/${id}/cancel`, { 'x-lip-resume-token': response.headers.get('x-lip-resume-token')! });
      expect([again.status, JSON.parse(again.body).error]).to.deep.equal([404, { message: 'cancellation target not found', type: 'not_found_error', param: null, code: 'LIP_ERR_CANCEL_NOT_FOUND' }]);
    });

    it('refusals: no token 401, an unknown or foreign token the same 404, another own conversation\'s token 403, GET 405, no key 401', async () => {
      const alice = await send('openai-chat');
      const other = await send('openai-chat');
      const path = `/lip/v1/a-legs/${alice.headers['x-lip-a-leg-id'] as string}/cancel`;
      const none = await cancel(path, {});
      expect([none.status, JSON.parse(none.body).error]).to.deep.include(401);
      expect(JSON.parse(none.body).error).to.include({ code: 'LIP_ERR_CANCEL_IDENTITY_MISSING', type: 'authentication_error' });
      expect(JSON.parse(none.body).error.message).to.match(/^missing cancellation identity/);
      // A session id alone is no identity either (client_session_ids is off).
      expect((await cancel(path, { 'x-lip-session-id': alice.headers['x-lip-session-id'] as string })).status).to.equal(401);
      const unknown = await cancel(path, { 'x-lip-resume-token': 'Q'.repeat(64) }, MALLORY);
      const foreign = await cancel(path, { 'x-lip-resume-token': identity(alice)['x-lip-resume-token'] }, MALLORY);
      expect([unknown.status, foreign.status]).to.deep.equal([404, 404]);
      expect(foreign.body).to.equal(unknown.body);
      const crossed = await cancel(path, { 'x-lip-resume-token': identity(other)['x-lip-resume-token'] });
      expect([crossed.status, JSON.parse(crossed.body).error.code]).to.deep.equal([403, 'LIP_ERR_CANCEL_FORBIDDEN']);
      const get = await httpRequest(`${lip.url}${path}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
      expect([get.status, get.headers.allow]).to.deep.equal([405, 'POST']);
      const anonymous = await httpRequest(`${lip.url}${path}`, { method: 'POST', body: '' });
      expect([anonymous.status, anonymous.headers['www-authenticate']]).to.deep.equal([401, 'Bearer realm="lip"']);
    });
  });

  it('fair share of max_legs: a principal opening many conversations evicts its own, not another principal\'s', async () => {
    const small = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, `routing: { default_route: "up:m" }
continuity: { max_legs: 4 }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: mallory, key: "${MALLORY}" } ] }`));
    try {
      const ask = (key: string, headers: Record<string, string> = {}) => httpRequest(`${small.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'up:m', messages: [{ role: 'user', content: 'hi' }] }), headers: { authorization: `Bearer ${key}`, ...headers } });
      const alice = [await ask(ALICE), await ask(ALICE)];
      const mallory = [];
      for (let i = 0; i < 10; i++) mallory.push(await ask(MALLORY));
      for (const conversation of alice) {
        const resumed = await ask(ALICE, identity(conversation));
        expect([resumed.status, resumed.headers['x-lip-a-leg-id']]).to.deep.equal([200, conversation.headers['x-lip-a-leg-id']]);
      }
      // Mallory's oldest conversations paid for the room.
      expect((await ask(MALLORY, identity(mallory[0]!))).status).to.equal(403);
      expect((await ask(MALLORY, identity(mallory[9]!))).status).to.equal(200);
    } finally {
      await small.close();
    }
  });

  it('window expiry on an injected clock: inside the window resumes, past it 410', async () => {
    const clock = new VirtualClock(Date.now());
    const timed = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, `routing: { default_route: "up:m" }
continuity: { resume_window: 2h }`), { scheduler: clock });
    try {
      const ask = (headers: Record<string, string> = {}) => httpRequest(`${timed.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'up:m', messages: [{ role: 'user', content: 'hi' }] }), headers });
      const first = await ask();
      clock.advance(2 * 3_600_000);
      expect((await ask(identity(first))).status).to.equal(200);
      clock.advance(2 * 3_600_000 + 1);
      const late = await ask(identity(first));
      expect([late.status, JSON.parse(late.body).error.code]).to.deep.equal([410, 'LIP_ERR_SESSION_EXPIRED']);
      expect(JSON.parse(late.body).error.message).to.match(/^session can no longer be resumed/);
    } finally {
      await timed.close();
    }
  });
});
