import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { chatChunk, startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, readRecords } from '../replay/recording-helpers.js';

/**
 * Regression: a candidate that answered with no output (an empty completion, a content filter
 * with no text, a length finish at zero tokens) served the request but was never committed: no
 * X-LIP-Backend (header or trailer), no backend on the access line, `served: null` in
 * /admin/routes and the recording, `[first]` never used up and `{affinity=…}` never bound. Its
 * completion now commits it as a first output would have.
 */

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

/** A chat request read with node:http (headers, body and trailers as sent). */
function chat(url: string, model: string, stream: boolean, headers: Record<string, string> = {}, onBody?: (body: string) => void): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        onBody?.(body);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

const resume = (res: Answer): Record<string, string> => ({
  'x-lip-session-id': res.headers['x-lip-session-id'] as string, 'x-lip-resume-token': res.headers['x-lip-resume-token'] as string,
});

describe('regression: a candidate that answers with no output is the one that served', function () {
  this.timeout(30_000);

  describe('through localstub', () => {
    let lip: RunningLip;
    let dir: string;
    let file: string;
    let roll = 0.5;
    const config = () => testConfig(`
  - { id: empty, kind: localstub, text: "", finish_reason: content_filter }
  - { id: short, kind: localstub, text: "", finish_reason: length }
  - { id: b, kind: localstub, text: "from b" }
`, `routing: { default_route: "b:m" }
logging: { access_log: true }
diagnostics: { enabled: true }
recording: { enabled: true, path: "${file}" }`);
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-empty-'));
      file = join(dir, 'traffic.jsonl');
      lip = await startLip(config(), { rng: () => roll });
    });
    after(async () => {
      await lip?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const accessLine = async (requestId: string) => {
      await until(() => lip.logs.some((l) => l.request_id === requestId && l.message === 'request'), 'the access line');
      return lip.logs.find((l) => l.request_id === requestId && l.message === 'request')!;
    };

    for (const stream of [false, true]) {
      it(`names it in X-LIP-Backend, the access line, /admin/routes and the recording (${stream ? 'streamed' : 'unary'})`, async () => {
        for (const model of ['empty:m', 'short:m', 'empty:m|b:m']) {
          const requestId = `empty-${stream}-${model.replace(/[^a-z]/g, '-')}`;
          const res = await chat(lip.url, model, stream, { 'x-request-id': requestId });
          expect(res.status, model).to.equal(200);
          expect(res.body, model).to.not.include('from b');
          const served = model.startsWith('short') ? 'short:m' : 'empty:m';
          expect(res.headers['x-lip-backend'], model).to.equal(served);
          expect(res.headers.trailer, model).to.equal(undefined);
          expect(await accessLine(requestId), model).to.include({ status: 200, backend: served });
          const routes = JSON.parse(await (await fetch(`${lip.url}/admin/routes`)).text()) as { routes: { request_id: string; served: string | null; candidates: { key: string; outcome: string }[] }[] };
          const route = routes.routes.find((r) => r.request_id === requestId)!;
          expect(route.served, model).to.equal(served);
          expect(route.candidates.map((c) => [c.key, c.outcome]), model).to.deep.equal([[served, 'served']]);
          const records = await eventually(() => readRecords(file), (r) => r.some((x) => x.request_id === requestId));
          const record = records.find((x) => x.request_id === requestId)!;
          expect(record.served, model).to.equal(served);
          expect((await replayExchange(record, config())).state, model).to.equal('same');
        }
      });
    }

    it('[first] is used up by an empty first answer: later requests roll the weights', async () => {
      roll = 0.5;
      const selector = '[first]empty:m^[weight=100]b:m';
      const first = await chat(lip.url, selector, false);
      expect(first.headers['x-lip-backend']).to.equal('empty:m');
      for (let i = 0; i < 3; i++) {
        const next = await chat(lip.url, selector, false, resume(first));
        expect(next.headers['x-lip-backend']).to.equal('b:m');
        expect(next.body).to.include('from b');
      }
    });

    it('{affinity=session} binds to a candidate whose first answer was empty', async () => {
      const selector = '{affinity=session}empty:m^b:m';
      roll = 0.1; // rolls empty
      const first = await chat(lip.url, selector, true);
      expect(first.headers['x-lip-backend']).to.equal('empty:m');
      roll = 0.9; // would roll b, but the conversation is bound to empty
      for (let i = 0; i < 3; i++) expect((await chat(lip.url, selector, true, resume(first))).headers['x-lip-backend']).to.equal('empty:m');
    });
  });

  describe('a stream whose headers went out before the empty answer', () => {
    let upstream: HeldUpstream;
    let lip: RunningLip;
    before(async () => {
      upstream = await startHeldUpstream();
      lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }`,
        'server: { host: 127.0.0.1, port: 0, keepalive_interval: 50ms }\nrouting: { default_route: "up:chat" }'));
    });
    afterEach(() => {
      for (const held of upstream.held.splice(0)) held.destroy(); // what a failed test left waiting
    });
    after(async () => {
      await lip?.close();
      await upstream?.close();
    });

    it('sends X-LIP-Backend as the trailer it declared', async () => {
      let keepalive!: () => void;
      const keptAlive = new Promise<void>((resolve) => { keepalive = resolve; });
      const answer = chat(lip.url, 'up:chat', true, {}, (body) => { if (body.includes(': keepalive')) keepalive(); });
      await keptAlive;
      await until(() => upstream.held.length >= 1, 'the upstream request');
      const held = upstream.held.shift()!;
      held.writeHead(200, { 'content-type': 'text/event-stream' });
      held.end(chatChunk({ role: 'assistant', content: '' }) + chatChunk({}, 'content_filter') + 'data: [DONE]\n\n');
      const res = await answer;
      expect(res.status).to.equal(200);
      expect(res.headers['x-lip-backend']).to.equal(undefined);
      expect(res.headers.trailer).to.equal('x-lip-backend');
      expect(res.body).to.include('content_filter').and.include('data: [DONE]');
      expect(res.trailers).to.deep.equal({ 'x-lip-backend': 'up:chat' });
    });
  });
});
