import { expect } from 'chai';
import { PRODUCT_USER_AGENT } from '../../lib/wire/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { rawExchange } from '../helpers/raw-http.js';
import { httpRequest } from '../helpers/sse-client.js';
import { useUpstreams } from '../helpers/upstreams.js';
import { createRuntime } from '../../lib/core/runtime.js';

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** The identity headers of a fetch Response (the SDKs' `withResponse()` / `asResponse()` give one). */
const identityOf = (headers: Headers) => Object.fromEntries(['server', ...Object.keys(SECURITY), 'strict-transport-security'].flatMap((name) => {
  const value = headers.get(name);
  return value === null ? [] : [[name, value]];
}));

/**
 * What lip says it is (docs/security.md, "Identity"), through the official SDKs: upstream it
 * sends lip/VERSION, or with passthrough the SDK's own User-Agent; to clients every response,
 * streamed or not, answered or refused, carries `Server: lip` and the security headers.
 */
describe('e2e: lip\'s identity, upstream and to clients', function () {
  this.timeout(20_000);

  describe('by default', () => {
    const up = useUpstreams({ oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } });

    for (const stream of [false, true]) {
      const mode = stream ? 'streaming' : 'non-streaming';
      it(`an OpenAI SDK request reaches its upstream as lip/VERSION, and its answer carries Server: lip and the security headers (${mode})`, async () => {
        const params = { model: 'oc:gpt-5.4-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
        const { response } = stream
          ? await up.openai().chat.completions.create({ ...params, stream: true }).withResponse()
          : await up.openai().chat.completions.create(params).withResponse();
        expect(identityOf(response.headers)).to.deep.equal({ server: 'lip', ...SECURITY });
        if (stream) await response.text();
        expect(up.emulators.oc!.requests[0]!.headers['user-agent']).to.equal(PRODUCT_USER_AGENT);
      });

      it(`an Anthropic SDK request too (${mode})`, async () => {
        const params = { model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
        const response = stream
          ? await up.anthropic().messages.create({ ...params, stream: true }).asResponse()
          : await up.anthropic().messages.create(params).asResponse();
        expect(identityOf(response.headers)).to.deep.equal({ server: 'lip', ...SECURITY });
        await response.text();
        expect(up.emulators.an!.requests[0]!.headers['user-agent']).to.equal(PRODUCT_USER_AGENT);
      });
    }

    it('refusals carry them too: a 404, a 400 from the protocol, and a request the HTTP parser refused', async () => {
      const lip = up.lip().url;
      const missing = await fetch(`${lip}/v1/nowhere`);
      expect(missing.status).to.equal(404);
      expect(identityOf(missing.headers)).to.deep.equal({ server: 'lip', ...SECURITY });
      const bad = await fetch(`${lip}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
      expect(bad.status).to.equal(400);
      expect(identityOf(bad.headers)).to.deep.equal({ server: 'lip', ...SECURITY });
      const parser = await rawExchange(lip, 'BREW /v1/chat/completions HTTP/1.1\r\nHost: localhost');
      expect(parser.status).to.equal(400);
      expect(parser.headers).to.include({ server: 'lip', ...SECURITY });
      expect(JSON.parse(parser.body).error.code).to.equal('LIP_ERR_REQUEST_INVALID');
    });
  });

  describe('with identity.upstream.user_agent: passthrough', () => {
    const up = useUpstreams({ oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' } }, 'identity: { upstream: { user_agent: { mode: passthrough } } }');

    it('each SDK\'s own User-Agent reaches the upstream, whichever provider serves it', async () => {
      await up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] });
      expect(up.emulators.an!.requests[0]!.headers['user-agent']).to.match(/^OpenAI\/JS \d+\.\d+\.\d+$/);
      await up.anthropic().messages.create({ model: 'gem:gemini-2.5-flash', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      expect(up.emulators.gem!.requests[0]!.headers['user-agent']).to.match(/^Anthropic\/JS \d+\.\d+\.\d+$/);
      await up.google().models.generateContent({ model: 'oc:gpt-5.4-mini', contents: 'hi' });
      expect(up.emulators.oc!.requests[0]!.headers['user-agent']).to.match(/google-genai-sdk\/\d+\.\d+\.\d+/);
    });

    it('a User-Agent lip does not forward (over 512 characters) is left out, not replaced by lip\'s', async () => {
      const answer = await httpRequest(`${up.lip().url}/v1/chat/completions`, {
        headers: { 'user-agent': `${'x'.repeat(600)}` },
        body: JSON.stringify({ model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(answer.status).to.equal(200);
      expect(up.emulators.oc!.requests[0]!.headers).to.not.have.property('user-agent');
    });
  });

  describe('a custom Server, no security headers, HSTS, and a reload', () => {
    let lip: RunningLip;
    const yaml = (server: string, more = '') => testConfig('  - { id: stub, kind: localstub }', `server: { host: 127.0.0.1, port: 0${more} }\nidentity: { downstream: { server: ${server} } }`);
    before(async () => {
      lip = await startLip(yaml('{ mode: custom, value: "ExampleGateway/1" }', ', security_headers: false, strict_transport_security: "max-age=63072000; includeSubDomains"'));
    });
    after(() => lip.close());

    it('sends what the config says, and a reload changes it for the next request', async () => {
      const first = await fetch(`${lip.url}/healthz`);
      expect(identityOf(first.headers)).to.deep.equal({ server: 'ExampleGateway/1', 'strict-transport-security': 'max-age=63072000; includeSubDomains' });
      await lip.server.reload(createRuntime(yaml('{ mode: drop }')));
      const second = await fetch(`${lip.url}/healthz`);
      expect(identityOf(second.headers)).to.deep.equal(SECURITY);
    });
  });
});
