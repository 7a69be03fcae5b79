import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const UI = 'https://ui.example.com';
const chat = JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }] });
const preflight = (url: string, origin: string, extra: Record<string, string> = {}) => httpRequest(`${url}/v1/chat/completions`, {
  method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os', ...extra },
});

/**
 * Found by probing the HTTP surface: a browser page lip lets use it (a loopback page, or one of
 * `server.allowed_origins`) could not: its preflight got 405 and no answer carried
 * `Access-Control-Allow-Origin`, so the browser let it read nothing. Such pages now get CORS;
 * any other page gets no CORS header.
 */
describe('server: CORS for the pages lip lets use it', function () {
  this.timeout(30_000);
  const backends = '  - { id: stub, kind: localstub, models: [m] }';
  let keyless: RunningLip;
  let keyed: RunningLip;
  before(async () => {
    keyless = await startLip(testConfig(backends, `server: { host: 127.0.0.1, port: 0, allowed_origins: ["${UI}"] }`));
    keyed = await startLip(testConfig(backends, `server: { host: 127.0.0.1, port: 0, allowed_origins: ["${UI}"] }\nauth: { api_keys: [{ id: ui, key: "ui-key-0123456789abcdef" }] }`));
  });
  after(async () => {
    await keyless?.close();
    await keyed?.close();
  });

  for (const [name, lip] of [['keyless single-user', () => keyless], ['with API keys', () => keyed]] as const) {
    describe(name, () => {
      it('a preflight of an allowed page gets 204 allowing its method and the headers it asked for (no key needed)', async () => {
        for (const origin of [UI, 'http://localhost:3000']) {
          const r = await preflight(lip().url, origin);
          expect(r.status, origin).to.equal(204);
          expect(r.headers['access-control-allow-origin']).to.equal(origin);
          expect(r.headers['access-control-allow-methods']).to.contain('POST');
          expect(r.headers['access-control-allow-headers']).to.equal('authorization, content-type, x-stainless-os');
          expect(r.headers['access-control-max-age']).to.equal('600');
          expect(r.headers['access-control-allow-private-network']).to.equal(undefined);
          expect(r.body).to.equal('');
        }
        const pna = await preflight(lip().url, UI, { 'access-control-request-private-network': 'true' });
        expect(pna.headers['access-control-allow-private-network']).to.equal('true');
      });

      it('an allowed page\'s answers, errors included, carry its origin and expose every header', async () => {
        const key: Record<string, string> = name === 'with API keys' ? { authorization: 'Bearer ui-key-0123456789abcdef' } : {};
        const ok = await httpRequest(`${lip().url}/v1/chat/completions`, { body: chat, headers: { origin: UI, ...key } });
        expect(ok.status).to.equal(200);
        expect(ok.headers['access-control-allow-origin']).to.equal(UI);
        expect(ok.headers['access-control-expose-headers']).to.equal('*');
        expect(ok.headers.vary).to.equal('Origin');
        const bad = await httpRequest(`${lip().url}/v1/chat/completions`, { body: '{"model":', headers: { origin: UI, ...key } });
        expect(bad.status).to.equal(400);
        expect(bad.headers['access-control-allow-origin']).to.equal(UI);
      });

      it('a page of another origin gets no CORS header (its browser lets it read nothing)', async () => {
        const r = await preflight(lip().url, 'https://evil.example');
        expect(r.status).to.not.equal(204);
        expect(r.headers['access-control-allow-origin']).to.equal(undefined);
        const nulled = await preflight(lip().url, 'null');
        expect(nulled.headers['access-control-allow-origin']).to.equal(undefined);
      });
    });
  }

  it('with API keys, an allowed page\'s request without a key is still refused (401, readable by the page)', async () => {
    const r = await httpRequest(`${keyed.url}/v1/chat/completions`, { body: chat, headers: { origin: UI } });
    expect(r.status).to.equal(401);
    expect(r.headers['access-control-allow-origin']).to.equal(UI);
  });

  it('a preflight allows every method lip serves: PATCH too (Gemini\'s cachedContents update)', async () => {
    const r = await httpRequest(`${keyless.url}/v1beta/cachedContents/c1`, {
      method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type, x-goog-api-key' },
    });
    expect(r.status).to.equal(204);
    const allowed = String(r.headers['access-control-allow-methods']).split(',').map((m) => m.trim());
    expect(allowed).to.include.members(['GET', 'POST', 'PATCH', 'DELETE']);
  });

  it('OPTIONS that is not a preflight is answered as before (405 with Allow)', async () => {
    const r = await httpRequest(`${keyless.url}/v1/chat/completions`, { method: 'OPTIONS' });
    expect(r.status).to.equal(405);
    expect(r.headers['access-control-allow-origin']).to.equal(undefined);
  });
});
