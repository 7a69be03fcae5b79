import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { WebSocket } from 'ws';
import { createRuntime } from '../../lib/core/runtime.js';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { buildMmdb } from '../helpers/mmdb.js';

const SECRET = 'ingress-diagnostics-secret';
const RU = '203.0.113.5';
const DE = '198.51.100.5';

/**
 * access.geoip through a real server and the official SDK: lip sits behind a proxy on the
 * loopback (trusted), which names the client in X-Forwarded-For; a country database built for
 * the test says which country each address is in. A refused request is a bare 403 before
 * anything else runs (the upstream never sees it); probes pass; a WebSocket handshake is judged
 * the same way and its turns are not judged again; a reload changes the policy.
 */
describe('e2e: access.geoip (the ingress gate)', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  let database: string;
  const policy = (deny: string) => chatUpstreamConfig(upstream.url, [
    `diagnostics: { enabled: true, shared_secret: "${SECRET}" }`,
    'observability: { metrics: { enabled: true, path: /metrics } }',
    'access:',
    `  geoip: { enabled: true, order: deny_allow, deny: { countries: [${deny}], cidrs: ["192.0.2.0/24"] }, client_ip: { source: x_forwarded_for, trusted_proxies: ["127.0.0.1", "::1"] }, database: { local_path: ${JSON.stringify(database)} } }`,
  ]);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-geoip-e2e-'));
    database = join(dir, 'countries.mmdb');
    writeFileSync(database, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'RU' } }], ['198.51.100.0/24', { country: { iso_code: 'DE' } }]]));
    upstream = await startOpenAIChatEmulator();
    upstream.handler = () => ({ text: 'served' });
    lip = await startLip(policy('RU'));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => upstream.reset());

  const client = (forwardedFor: string) => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0, defaultHeaders: { 'x-forwarded-for': forwardedFor } });
  const ask = (forwardedFor: string) => client(forwardedFor).chat.completions.create({ model: 'up:chat', messages: [{ role: 'user', content: 'hi' }] });

  it('a client from an allowed country is served; one from a denied country or prefix gets 403 and reaches nothing', async () => {
    expect((await ask(DE)).choices[0]!.message.content).to.equal('served');
    for (const address of [RU, '192.0.2.77', `${DE}, ${RU}`]) {
      const err = await ask(address).then(() => undefined, (e: unknown) => e as { status?: number });
      expect(err?.status, address).to.equal(403);
    }
    expect(upstream.requests).to.have.length(1);
  });

  it('the refusal says nothing: text/plain "Forbidden", whatever the reason (a rule, an unreadable header)', async () => {
    for (const forwarded of [RU, 'not-an-address']) {
      const res = await fetch(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-forwarded-for': forwarded, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).to.equal(403);
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(await res.text()).to.equal('Forbidden\n');
    }
  });

  it('liveness and readiness probes pass; the diagnostics do not', async () => {
    for (const path of ['/healthz', '/readyz']) expect((await fetch(`${lip.url}${path}`, { headers: { 'x-forwarded-for': RU } })).status, path).to.equal(200);
    expect((await fetch(`${lip.url}/admin/routes`, { headers: { 'x-forwarded-for': RU, 'x-lip-diagnostics-secret': SECRET } })).status).to.equal(403);
    const metrics = await (await fetch(`${lip.url}/metrics`, { headers: { 'x-forwarded-for': DE, 'x-lip-diagnostics-secret': SECRET } })).text();
    expect(metrics).to.match(/lip_ingress_denied_total\{reason="policy"\} [1-9]/);
    expect(metrics).to.match(/lip_ingress_denied_total\{reason="forwarding"\} [1-9]/);
  });

  it('a WebSocket handshake is judged the same way; an admitted connection\'s turns are not judged again', async () => {
    const url = `${lip.url.replace('http', 'ws')}/v1/responses`;
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { 'x-forwarded-for': RU } });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('the handshake was accepted')));
      ws.on('error', () => undefined);
    });
    expect(refused).to.deep.equal({ status: 403, body: 'Forbidden\n' });
    const types = await new Promise<string[]>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { 'x-forwarded-for': DE } });
      const seen: string[] = [];
      ws.on('open', () => ws.send(JSON.stringify({ type: 'response.create', model: 'up:chat', input: 'hi' })));
      ws.on('message', (data: Buffer) => {
        const event = JSON.parse(data.toString()) as { type: string };
        seen.push(event.type);
        if (event.type === 'response.completed' || event.type === 'error') {
          ws.close();
          resolve(seen);
        }
      });
      ws.on('error', reject);
    });
    expect(types.at(-1)).to.equal('response.completed');
  });

  it('a reload changes the policy for the requests that follow', async () => {
    await lip.server.reload(createRuntime(policy('DE')));
    expect((await ask(RU)).choices[0]!.message.content).to.equal('served');
    expect((await ask(DE).then(() => undefined, (e: unknown) => e as { status?: number }))?.status).to.equal(403);
    await lip.server.reload(createRuntime(policy('RU')));
  });
});
