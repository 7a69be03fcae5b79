import { expect } from 'chai';
import { subscribe as listen, unsubscribe as unlisten } from 'node:diagnostics_channel';
import OpenAI from 'openai';
import type { LocalstubLifecycle } from '../../lib/backends/localstub/index.js';
import type { AttemptReport } from '../../lib/core/attempt.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const BACKENDS = `
  - { id: fast, kind: localstub, text: "fast answer", first_token_delay: 10ms }
  - { id: slow, kind: localstub, text: "slow answer", first_token_delay: 3s }
  - { id: stalled, kind: localstub, fail: stall }
  - { id: down, kind: localstub, fail: "before_output:503" }
  - { id: down2, kind: localstub, fail: "before_output:502" }
  - { id: limited, kind: localstub, fail: "before_output:429" }
  - { id: limited2, kind: localstub, fail: "before_output:429" }
  - { id: refuses, kind: localstub, fail: "before_output:400" }
  - { id: broken, kind: localstub, text: "partial answer", chunks: 2, fail: after_output }
  - { id: a, kind: localstub, text: "from a" }
  - { id: b, kind: localstub, text: "from b" }
`;

/** Records localstub stream lifecycles and attempt reports while a test runs. */
function observe() {
  const stubs: LocalstubLifecycle[] = [];
  const attempts: AttemptReport[] = [];
  const onStub = (m: unknown) => stubs.push(m as LocalstubLifecycle);
  const onAttempt = (m: unknown) => attempts.push(m as AttemptReport);
  listen('lip:localstub', onStub);
  listen('lip:attempt', onAttempt);
  return {
    stubs, attempts,
    phases: (backend: string) => stubs.filter((s) => s.backend === backend).map((s) => s.phase),
    ended: (backend: string) => attempts.find((a) => a.phase === 'end' && a.backendId === backend),
    stop() {
      unlisten('lip:localstub', onStub);
      unlisten('lip:attempt', onAttempt);
    },
  };
}

describe('e2e: routing through lip serve', () => {
  let lip: RunningLip;
  let client: OpenAI;
  let seed = 7;
  const rng = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  before(async () => {
    lip = await startLip(testConfig(BACKENDS, 'routing: { default_route: "a:m", max_attempts: 3 }\ndiagnostics: { enabled: true, recent_routes: 500 }'), { rng });
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(() => lip.close());

  const ask = async (model: string, stream = false) => {
    if (!stream) {
      const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).withResponse();
      return { text: data.choices[0]!.message.content, backend: response.headers.get('x-lip-backend') };
    }
    const { data, response } = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    return { text, backend: response.headers.get('x-lip-backend') };
  };
  /** A raw request; its 40-character message estimates to 10 tokens (for the context filters). */
  const failure = (model: string, headers: Record<string, string> = {}) =>
    httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(40) }] }), headers });

  it('a slow primary loses a race and is cancelled at once', async () => {
    const seen = observe();
    try {
      expect(await ask('slow:m!fast:m', true)).to.deep.equal({ text: 'fast answer', backend: 'fast:m' });
      expect(seen.phases('slow')).to.deep.equal(['subscribe', 'unsubscribe']);
      expect(seen.ended('slow')!.outcome).to.equal('cancelled');
      expect(seen.ended('fast')!.outcome).to.equal('success');
    } finally {
      seen.stop();
    }
  });

  it('a handicapped leg never starts when another leg wins first', async () => {
    const seen = observe();
    try {
      expect(await ask('fast:m![handicap=5s]slow:m')).to.deep.equal({ text: 'fast answer', backend: 'fast:m' });
      expect(seen.phases('slow')).to.deep.equal([]);
    } finally {
      seen.stop();
    }
  });

  it('a leaf TTFT expiry fails over to the next arm', async () => {
    const seen = observe();
    try {
      expect(await ask('[ttft_timeout=100ms]stalled:m|fast:m', true)).to.deep.equal({ text: 'fast answer', backend: 'fast:m' });
      expect(seen.phases('stalled')).to.deep.equal(['subscribe', 'unsubscribe']);
      expect(seen.ended('stalled')).to.include({ outcome: 'failure', errorCode: 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT' });
    } finally {
      seen.stop();
    }
  });

  it('a retryable 503 before output fails over invisibly', async () => {
    expect(await ask('down:m|a:m', true)).to.deep.equal({ text: 'from a', backend: 'a:m' });
    expect(await ask('down:m|a:m')).to.deep.equal({ text: 'from a', backend: 'a:m' });
  });

  it('a reset after output reaches the client in-band and no second backend is opened', async () => {
    const seen = observe();
    try {
      const stream = await client.chat.completions.create({ model: 'broken:m|b:m', stream: true, messages: [{ role: 'user', content: 'x' }] });
      let text = '';
      const error = await (async () => {
        try {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(text).to.equal('partial');
      expect((error as InstanceType<typeof OpenAI.APIError>).error).to.deep.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
      expect(seen.phases('b')).to.deep.equal([]);
    } finally {
      seen.stop();
    }
  });

  it('a failure that is not retryable is surfaced with its status, without failover', async () => {
    const res = await failure('refuses:m|a:m');
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_UPSTREAM_STATUS');
  });

  it('weighted splits follow their weights (seeded rng)', async () => {
    const counts: Record<string, number> = { 'a:m': 0, 'b:m': 0 };
    for (let i = 0; i < 400; i++) counts[(await ask('[weight=3]a:m^[weight=1]b:m')).backend!]!++;
    expect(counts['a:m']! / 400).to.be.closeTo(0.75, 0.07);
    expect(counts['b:m']! / 400).to.be.closeTo(0.25, 0.07);
  });

  it('a failed weighted branch is re-rolled among the rest', async () => {
    for (let i = 0; i < 10; i++) expect((await ask('down:m^a:m')).backend).to.equal('a:m');
  });

  describe('errors', () => {
    it('every candidate rate-limited: 429 with Retry-After', async () => {
      const res = await failure('limited:m|limited2:m');
      expect(res.status).to.equal(429);
      expect(res.headers['retry-after']).to.equal('1');
      expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_RATE_LIMITED');
    });

    it('every candidate failed otherwise: 502 naming each failure', async () => {
      const res = await failure('down:m|down2:m');
      expect(res.status).to.equal(502);
      const { code, message } = JSON.parse(res.body).error;
      expect(code).to.equal('LIP_ERR_ROUTE_ALL_FAILED');
      expect(message).to.contain('down:m').and.to.contain('down2:m');
    });

    it('routing.max_attempts bounds the backends opened', async () => {
      const seen = observe();
      try {
        const res = await failure('down:m|down2:m|limited:m|a:m');
        expect(res.status).to.equal(502);
        expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_MAX_ATTEMPTS');
        expect(seen.phases('a')).to.deep.equal([]);
      } finally {
        seen.stop();
      }
    });

    it('routing.max_attempts spent inside a race: MAX_ATTEMPTS, as the | chain answers, naming the leg never opened', async () => {
      const seen = observe();
      try {
        const res = await failure('down:m!down:m?a=1!down:m?a=2!a:m');
        expect(res.status).to.equal(502);
        const error = JSON.parse(res.body).error as { code: string; message: string };
        expect(error.code).to.equal('LIP_ERR_ROUTE_MAX_ATTEMPTS');
        expect(error.message).to.contain('a:m: skipped (routing.max_attempts (3) spent)');
        expect(seen.phases('a')).to.deep.equal([]);
      } finally {
        seen.stop();
      }
    });

    it('global TTFT budget spent: 504', async () => {
      const res = await failure('{ttft_timeout=150ms}stalled:m|slow:m');
      expect(res.status).to.equal(504);
      expect(JSON.parse(res.body).error.code).to.equal('LIP_ERR_ROUTE_TTFT_TIMEOUT');
    });

    it('a request too large for every candidate\'s max_context: 400, with OpenAI\'s context_length_exceeded for an OpenAI client (agents compact on it)', async () => {
      const res = await failure('[max_context=2]a:m|[max_context=3]b:m');
      expect(res.status).to.equal(400);
      expect(JSON.parse(res.body).error.code).to.equal('context_length_exceeded');
      expect(JSON.parse(res.body).error.message).to.contain('does not fit the context limits of any candidate');
      const fits = await failure('[max_context=2]a:m|[min_context=2]b:m');
      expect([fits.status, fits.headers['x-lip-backend']]).to.deep.equal([200, 'b:m']);
    });

    it('an invalid selector: 400 with the column', async () => {
      const res = await failure('a:m', { 'x-lip-route': 'a:m|' });
      expect(res.status).to.equal(400);
      const { code, message } = JSON.parse(res.body).error;
      expect(code).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
      expect(message).to.match(/column 4\b/);
    });
  });

  it('GET /admin/routes shows the recent decisions: tried, skipped, failed, served, TTFT', async () => {
    await failure('x', { 'x-request-id': 'route-diag', 'x-lip-route': 'down:m|[max_context=1]b:m|fast:m' });
    const res = await httpRequest(`${lip.url}/admin/routes`, { method: 'GET' });
    expect(res.status).to.equal(200);
    const record = (JSON.parse(res.body).routes as { request_id: string }[]).find((r) => r.request_id === 'route-diag') as Record<string, unknown>;
    expect(record).to.include({ selector: 'down:m|[max_context=1]b:m|fast:m', selector_source: 'header', served: 'fast:m', outcome: 'success' });
    expect(record.ttft_ms).to.be.a('number');
    const candidates = record.candidates as { key: string; outcome: string; reason?: string; status?: number }[];
    expect(candidates.map((c) => [c.key, c.outcome])).to.deep.equal([['down:m', 'failed'], ['b:m', 'skipped'], ['fast:m', 'served']]);
    expect(candidates[0]!.status).to.equal(503);
    expect(candidates[1]!.reason).to.match(/^context/);
  });
});

describe('e2e: /admin endpoints are guarded', () => {
  it('404 when diagnostics are off, 403 without the shared secret', async () => {
    const off = await startLip(testConfig('  - { id: a, kind: localstub }'));
    try {
      expect((await httpRequest(`${off.url}/admin/routes`, { method: 'GET' })).status).to.equal(404);
    } finally {
      await off.close();
    }
    const guarded = await startLip(testConfig('  - { id: a, kind: localstub }', 'diagnostics: { enabled: true, shared_secret: "a-diagnostics-secret" }'));
    try {
      expect((await httpRequest(`${guarded.url}/admin/routes`, { method: 'GET' })).status).to.equal(403);
      expect((await httpRequest(`${guarded.url}/admin/routes`, { method: 'GET', headers: { 'x-lip-diagnostics-secret': 'wrong' } })).status).to.equal(403);
      expect((await httpRequest(`${guarded.url}/admin/routes`, { method: 'GET', headers: { 'x-lip-diagnostics-secret': 'a-diagnostics-secret' } })).status).to.equal(200);
    } finally {
      await guarded.close();
    }
  });
});
