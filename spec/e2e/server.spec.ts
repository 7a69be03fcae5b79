import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { asyncScheduler } from 'rxjs';
import { MemoryContinuityStore } from '../../lib/continuity/index.js';
import { createRuntime } from '../../lib/core/runtime.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest, parseSse } from '../helpers/sse-client.js';

const KEY = 'client-key-0123456789';

/** A continuity store whose close never settles (a disk that hangs, a Redis that stopped answering). */
function wedgedStore(): MemoryContinuityStore {
  class Wedged extends MemoryContinuityStore {
    override close(): Promise<void> { return new Promise(() => undefined); }
  }
  return new Wedged({ ttlMs: 60_000, resumeWindowMs: 60_000, maxLegs: 10, scheduler: asyncScheduler });
}

describe('e2e: the HTTP server', () => {
  describe('system routes and errors', () => {
    let lip: RunningLip;
    before(async () => { lip = await startLip(testConfig('  - { id: stub, kind: localstub }', 'logging: { access_log: true }')); });
    after(() => lip.close());

    it('answers /healthz and /readyz', async () => {
      const health = await httpRequest(`${lip.url}/healthz`, { method: 'GET' });
      expect([health.status, JSON.parse(health.body)]).to.deep.equal([200, { status: 'ok' }]);
      const ready = await httpRequest(`${lip.url}/readyz`, { method: 'GET' });
      expect(ready.status).to.equal(200);
      expect(JSON.parse(ready.body).status).to.equal('ready');
    });

    it('404 for unknown paths and 405 with Allow for wrong methods', async () => {
      const missing = await httpRequest(`${lip.url}/v2/nothing`, { method: 'GET' });
      expect(missing.status).to.equal(404);
      expect(JSON.parse(missing.body).error.code).to.equal('LIP_ERR_HTTP_NOT_FOUND');
      // GET lists stored chat completions; no other method but POST is taken there.
      const wrong = await httpRequest(`${lip.url}/v1/chat/completions`, { method: 'PUT', body: '{}' });
      expect(wrong.status).to.equal(405);
      expect(wrong.headers.allow).to.equal('POST, GET');
      const messages = await httpRequest(`${lip.url}/v1/messages`, { method: 'GET' });
      expect([messages.status, messages.headers.allow]).to.deep.equal([405, 'POST']);
    });

    it('keeps a sane X-Request-Id and replaces a bad one', async () => {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      const kept = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { 'x-request-id': 'trace-123' } });
      expect(kept.headers['x-request-id']).to.equal('trace-123');
      const replaced = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { 'x-request-id': 'bad id with spaces' } });
      expect(replaced.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(replaced.headers).to.not.have.property('x-trace-id');
    });

    it('echoes a sane X-Trace-ID (the Go original\'s header), which names the request when X-Request-Id does not', async () => {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      const alone = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { 'x-trace-id': 'go-trace-1' } });
      expect([alone.status, alone.headers['x-trace-id'], alone.headers['x-request-id']]).to.deep.equal([200, 'go-trace-1', 'go-trace-1']);
      const both = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { 'x-trace-id': 'go-trace-2', 'x-request-id': 'req-2' } });
      expect([both.headers['x-trace-id'], both.headers['x-request-id']]).to.deep.equal(['go-trace-2', 'req-2']);
      const bad = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { 'x-trace-id': 'not\tsane' } });
      expect(bad.headers).to.not.have.property('x-trace-id');
      expect(bad.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    });

    it('writes one access-log line per request with method, route group, status, duration, request id and backend', async () => {
      await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers: { 'x-request-id': 'log-me' } });
      const line = lip.logs.find((l) => l.request_id === 'log-me')!;
      expect(line).to.include({ message: 'request', method: 'POST', route: '/v1/chat/completions', status: 200, backend: 'stub:stub-default' });
      expect(line.duration_ms).to.be.a('number');
      expect(lip.logs.filter((l) => l.request_id === 'log-me')).to.have.length(1);
    });
  });

  describe('authentication', () => {
    let lip: RunningLip;
    before(async () => {
      lip = await startLip(testConfig('  - { id: stub, kind: localstub }', `auth: { api_keys: [ { id: team, key: "${KEY}" } ] }`));
    });
    after(() => lip.close());

    it('rejects a missing or wrong key with 401 in the protocol envelope', async () => {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      const missing = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
      expect(missing.status).to.equal(401);
      expect(missing.headers['www-authenticate']).to.equal('Bearer realm="lip"');
      expect(JSON.parse(missing.body).error).to.deep.include({ code: 'LIP_ERR_AUTH_MISSING_KEY', type: 'authentication_error' });
      const wrong = await httpRequest(`${lip.url}/v1/chat/completions`, { body, headers: { authorization: 'Bearer not-the-key-at-all' } });
      expect(JSON.parse(wrong.body).error.code).to.equal('LIP_ERR_AUTH_INVALID_KEY');
    });

    it('accepts the key from Authorization or x-api-key; health needs none', async () => {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: KEY, maxRetries: 0 });
      expect((await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).object).to.equal('chat.completion');
      const viaHeader = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers: { 'x-api-key': KEY } });
      expect(viaHeader.status).to.equal(200);
      expect((await httpRequest(`${lip.url}/healthz`, { method: 'GET' })).status).to.equal(200);
    });
  });

  describe('limits and shutdown', () => {
    it('answers 429 with Retry-After beyond max_concurrent_requests', async () => {
      const lip = await startLip(testConfig('  - { id: stub, kind: localstub, text: "slow", first_token_delay: 300ms }', 'server: { host: 127.0.0.1, port: 0, max_concurrent_requests: 1 }\nlogging: { access_log: false }'));
      try {
        const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
        const first = httpRequest(`${lip.url}/v1/chat/completions`, { body });
        await new Promise((r) => setTimeout(r, 50));
        const second = await httpRequest(`${lip.url}/v1/chat/completions`, { body });
        expect(second.status).to.equal(429);
        expect(second.headers['retry-after']).to.equal('1');
        expect(JSON.parse(second.body).error.code).to.equal('LIP_ERR_SERVER_OVERLOADED');
        expect((await first).status).to.equal(200);
      } finally {
        await lip.close();
      }
    });

    it('drains: an in-flight stream finishes and new connections are refused', async () => {
      const lip = await startLip(testConfig('  - { id: stub, kind: localstub, text: "one two three four five", chunks: 5, chunk_delay: 60ms }'));
      const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] });
      const inflight = httpRequest(`${lip.url}/v1/chat/completions`, { body });
      await new Promise((r) => setTimeout(r, 80));
      const drained = lip.server.shutdown(5_000);
      const res = await inflight;
      expect(res.status).to.equal(200);
      const data = parseSse(res.body).messages.map((m) => m.data);
      expect(data.at(-1)).to.equal('[DONE]');
      expect(data.slice(1, -2).map((d) => JSON.parse(d).choices[0].delta.content).join('')).to.equal('one two three four five');
      expect(await drained).to.deep.equal({ cancelled: 0 });
      const refused = await httpRequest(`${lip.url}/healthz`, { method: 'GET' }).then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
      expect(refused).to.equal('ECONNREFUSED');
    });

    it('stops when a store never finishes closing: closing gets what is left of the shutdown timeout (at least 2 s), then it is logged', async () => {
      const store = wedgedStore();
      const lip = await startLip(testConfig('  - { id: stub, kind: localstub }'), { continuity: store });
      expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) })).status).to.equal(200);
      expect(await lip.server.shutdown(200)).to.deep.equal({ cancelled: 0 });
      expect(lip.logs.find((l) => String(l.message).startsWith('shutdown: the stores and the recorder did not finish closing in time'))).to.include({ timeout_ms: 2_000 });
    });

    it('stops when the trace exporter never answers: its flush gets the same close time as the stores, then it is logged', async () => {
      // An OTLP collector that accepts and never answers (or an exporter wedged in shutdown)
      // must not hold the process past server.shutdown_timeout.
      const wedged = { export: () => undefined, shutdown: () => new Promise<void>(() => undefined), forceFlush: () => new Promise<void>(() => undefined) };
      const config = testConfig('  - { id: stub, kind: localstub }', 'observability: { tracing: { enabled: true } }');
      const lip = await startLip(config, {}, { tracing: { exporter: wedged } });
      expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) })).status).to.equal(200);
      expect(await lip.server.shutdown(200)).to.deep.equal({ cancelled: 0 });
      expect(lip.logs.find((l) => String(l.message).startsWith('shutdown: the trace exporter did not finish in time'))).to.include({ timeout_ms: 2_000 });
    });

    it('a reload whose previous store never finishes closing reports back and serves on the new runtime', async () => {
      const config = testConfig('  - { id: stub, kind: localstub, text: "old" }');
      const store = wedgedStore();
      const lip = await startLip(config, { continuity: store }, { reloadCloseMs: 100 });
      try {
        await lip.server.reload(createRuntime(testConfig('  - { id: stub, kind: localstub, text: "new" }')));
        expect(lip.logs.find((l) => l.message === 'reload: the previous runtime is still closing; the new one serves meanwhile')).to.include({ waited_ms: 100 });
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
        expect(JSON.parse(res.body).choices[0].message.content).to.equal('new');
      } finally {
        await lip.close();
      }
    });

    it('a reload that swaps the continuity store lets requests in flight finish on the previous one, which closes after the last of them', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lip-reload-inflight-'));
      const file = join(dir, 'lip.db');
      const config = (ttl: string) => testConfig('  - { id: stub, kind: localstub, chunks: 10, chunk_delay: 150ms, text: "one two three four five six seven eight nine ten" }', `continuity: { store: sqlite, sqlite_path: "${file}", ttl: ${ttl} }\ndiagnostics: { enabled: true }`);
      const lip = await startLip(config('24h'));
      try {
        const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
        const first = lip.server.runtimeNow;
        const { data: stream, response } = await client.chat.completions.create({ model: 'stub:m', stream: true, messages: [{ role: 'user', content: 'x' }] }).withResponse();
        const aLegId = response.headers.get('x-lip-a-leg-id')!;
        let text = '';
        const reading = (async () => { for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''; })();
        // A changed continuity setting: a new store on the same file; the stream is still running.
        await lip.server.reload(createRuntime(config('12h')));
        expect(lip.server.runtimeNow.continuity).to.not.equal(first.continuity);
        expect(first.continuity.status().ready).to.equal(true); // not closed while its request runs
        await reading;
        expect(text).to.equal('one two three four five six seven eight nine ten');
        // Its attempt row was finished on the previous store, which then closed and flushed it to the file the new one reads.
        for (let i = 0; i < 200 && first.continuity.status().ready; i++) await new Promise((r) => setTimeout(r, 10));
        expect(first.continuity.status().ready).to.equal(false);
        const rows = await lip.server.runtimeNow.continuity.attempts(aLegId);
        expect(rows?.map((r) => [r.candidate_key, r.outcome])).to.deep.equal([['stub:m', 'success']]);
      } finally {
        await lip.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('cancels what is still running when the drain timeout expires, answering it with LIP_ERR_SERVER_SHUTTING_DOWN', async () => {
      const lip = await startLip(testConfig('  - { id: stub, kind: localstub, fail: stall }'));
      const ended: { outcome?: string; cancelReason?: string }[] = [];
      const onAttempt = (m: unknown) => { const r = m as { phase?: string; outcome?: string; cancelReason?: string }; if (r.outcome !== undefined) ended.push(r); };
      subscribe('lip:attempt', onAttempt);
      try {
        const inflight = httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
        await new Promise((r) => setTimeout(r, 50));
        expect(await lip.server.shutdown(100)).to.deep.equal({ cancelled: 1 });
        // Nothing was output yet: the protocol's envelope (after output it is the in-band error, see cli.spec).
        const res = await inflight;
        expect([res.status, JSON.parse(res.body).error.code]).to.deep.equal([503, 'LIP_ERR_SERVER_SHUTTING_DOWN']);
        // Its attempt was the shutdown's to stop, not the client's (found by probing the operator side:
        // it was logged and counted as "client abort").
        expect(ended.map((r) => [r.outcome, r.cancelReason])).to.deep.equal([['cancelled', 'server shutdown']]);
      } finally {
        unsubscribe('lip:attempt', onAttempt);
      }
    });
  });
});
