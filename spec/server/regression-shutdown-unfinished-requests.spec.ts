import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { parseAnswer, stalledRequest } from '../helpers/raw-http.js';

const accessLines = (lip: RunningLip, requestId: string) => lip.logs.filter((l) => l.message === 'request' && l.request_id === requestId);

/**
 * Found by probing the HTTP surface: at shutdown, a request still uploading its body got no
 * answer (its handler waited in the body's read until its connection was cut, past the flush
 * grace), and the access line of a request whose connection the shutdown closed was written
 * only after `shutdown()` had resolved and the runtime had closed: `lip serve` exits then, so
 * the line, its metrics, its key's charge and its recording were lost.
 */
describe('regression: requests unfinished at shutdown are answered and logged before it resolves', function () {
  this.timeout(30_000);

  const protocols = [
    {
      name: 'Anthropic Messages', path: '/v1/messages', headers: 'anthropic-version: 2023-06-01',
      envelope: (body: Record<string, any>, id: string) => expect(body).to.deep.include({ type: 'error', request_id: id }),
    },
    {
      name: 'OpenAI Chat', path: '/v1/chat/completions', headers: '',
      envelope: (body: Record<string, any>) => expect(body.error).to.include({ code: 'LIP_ERR_SERVER_SHUTTING_DOWN' }),
    },
  ];
  for (const p of protocols) {
    it(`a request still sending its body is answered 503 in its protocol's envelope (${p.name}), with one access line`, async () => {
      const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }', 'routing: { default_route: "stub:m" }\nlogging: { access_log: true }'));
      const id = `unread-${randomUUID()}`;
      const arrived = new Promise<void>((resolve) => lip.server.http.once('request', () => resolve()));
      const stalled = await stalledRequest(lip.url, p.path, 100, '{"model":', `x-request-id: ${id}${p.headers ? `\r\n${p.headers}` : ''}`);
      try {
        await arrived;
        expect(await lip.server.shutdown(200)).to.deep.equal({ cancelled: 1 });
        // Written before shutdown() resolved (the CLI exits then).
        const lines = accessLines(lip, id);
        expect(lines, 'one access line').to.have.length(1);
        expect(lines[0]).to.include({ status: 503, error: 'LIP_ERR_SERVER_SHUTTING_DOWN' });
        await stalled.closed;
        const answer = parseAnswer(Buffer.from(stalled.received(), 'utf8'));
        expect(answer.status).to.equal(503);
        expect(answer.headers.connection).to.equal('close');
        expect(answer.headers['x-request-id']).to.equal(id);
        const body = JSON.parse(answer.body) as Record<string, any>;
        p.envelope(body, id);
        expect(body.error.message).to.match(/shut(ting)? down/);
      } finally {
        stalled.close();
      }
    });
  }

  it('an embedding its upstream never answers is answered 503 by the shutdown, its access line written before shutdown() resolves', async () => {
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m], fail: stall }', 'routing: { default_route: "stub:m" }\nlogging: { access_log: true }'));
    const id = `cut-${randomUUID()}`;
    const started = new Promise<void>((resolve) => {
      const onAttempt = (message: unknown) => {
        const r = message as AttemptReport;
        if (r.requestId !== id || r.phase !== 'start') return;
        unsubscribe('lip:attempt', onAttempt);
        resolve();
      };
      subscribe('lip:attempt', onAttempt);
    });
    const client = request(`${lip.url}/v1/embeddings`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-request-id': id } });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      client.once('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => { body += c; }).once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      client.once('error', reject);
    });
    client.end(JSON.stringify({ model: 'stub:m', input: 'hello' }));
    await started;
    await lip.server.shutdown(100);
    const lines = accessLines(lip, id);
    expect(lines, 'one access line').to.have.length(1);
    expect(lines[0]).to.include({ status: 503, error: 'LIP_ERR_SERVER_SHUTTING_DOWN' });
    const { status, body } = await answered;
    expect(status).to.equal(503);
    expect(JSON.parse(body)).to.have.nested.property('error.code', 'LIP_ERR_SERVER_SHUTTING_DOWN');
  });

  it('a token count its upstream never answers is answered 503 in its protocol by the shutdown, and the upstream sees the close', async () => {
    const claude = await startAnthropicEmulator();
    const lip = await startLip(testConfig(`  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }`, 'routing: { default_route: "an:m" }\nlogging: { access_log: true }'));
    try {
      claude.enqueue({ fault: { stall: 'before_headers' } });
      const id = `count-${randomUUID()}`;
      const answer = fetch(`${lip.url}/v1/messages/count_tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-request-id': id },
        body: JSON.stringify({ model: 'an:m', messages: [{ role: 'user', content: 'hello' }] }),
      });
      for (let i = 0; i < 500 && claude.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(claude.requests, 'the count reached the upstream').to.have.length(1);
      await lip.server.shutdown(100);
      const res = await answer;
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.include({ type: 'error', request_id: id }).and.to.have.nested.property('error.type');
      expect(accessLines(lip, id)).to.have.length(1);
      expect(accessLines(lip, id)[0]).to.include({ status: 503, error: 'LIP_ERR_SERVER_SHUTTING_DOWN' });
      for (let i = 0; i < 500 && claude.closes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(claude.closes.length, 'the upstream saw the close').to.be.greaterThan(0);
    } finally {
      await lip.close().catch(() => undefined);
      await claude.close();
    }
  });
});

