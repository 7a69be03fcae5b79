import { expect } from 'chai';
import { parseSse } from '../helpers/sse-client.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const ROWS = '  - { id: stub, kind: localstub, models: [m], text: "hi" }';
const ALIAS = 'model_aliases:\n  - { pattern: "^fast$", replacement: "stub:m" }';

/** One request per protocol: the path, the body, and where its answer (whole or streamed) names the model. */
const PROTOCOLS = {
  'openai-chat': {
    path: () => '/v1/chat/completions',
    body: (model: string, stream: boolean) => ({ model, stream, messages: [{ role: 'user', content: 'x' }] }),
    whole: (b: any) => [b.model],
    streamed: (frames: any[]) => frames.map((f) => f.model),
  },
  'openai-responses': {
    path: () => '/v1/responses',
    body: (model: string, stream: boolean) => ({ model, stream, input: 'x' }),
    whole: (b: any) => [b.model],
    streamed: (frames: any[]) => frames.filter((f) => f.response).map((f) => f.response.model),
  },
  anthropic: {
    path: () => '/v1/messages',
    body: (model: string, stream: boolean) => ({ model, stream, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
    whole: (b: any) => [b.model],
    streamed: (frames: any[]) => frames.filter((f) => f.type === 'message_start').map((f) => f.message.model),
  },
  gemini: {
    path: (model: string, stream: boolean) => `/v1beta/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    body: () => ({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    whole: (b: any) => [b.modelVersion],
    streamed: (frames: any[]) => frames.map((f) => f.modelVersion),
  },
} as const;

async function ask(lip: RunningLip, protocol: keyof typeof PROTOCOLS, model: string, stream: boolean): Promise<{ status: number; models: string[]; body: any }> {
  const p = PROTOCOLS[protocol];
  const res = await fetch(`${lip.url}${p.path(model, stream)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p.body(model, stream)) });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, models: [], body: JSON.parse(text) };
  if (!stream) return { status: 200, models: p.whole(JSON.parse(text)), body: JSON.parse(text) };
  const frames = parseSse(text).messages.map((m) => m.data).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
  return { status: 200, models: p.streamed(frames), body: frames };
}

/**
 * `routing.echo_requested_model` and `routing.unknown_model` through all four client protocols,
 * streamed and whole: every frontend names the same model in both forms.
 */
describe('e2e: the model a response names, and unknown models', function () {
  this.timeout(30_000);

  describe('by default the model that served', () => {
    let lip: RunningLip;
    const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger = { error: () => undefined, info: () => undefined, warn: (message: string, meta?: Record<string, unknown>) => { warnings.push({ message, ...(meta ? { meta } : {}) }); } };
    before(async () => { lip = await startLip(testConfig(ROWS, `routing: { default_route: "stub:m" }\n${ALIAS}`), { logger }); });
    after(() => lip.close());

    for (const protocol of Object.keys(PROTOCOLS) as (keyof typeof PROTOCOLS)[]) {
      for (const stream of [false, true]) {
        it(`${protocol}, ${stream ? 'streamed' : 'whole'}: an alias and a backend:model answer with the served model`, async () => {
          for (const requested of ['fast', 'stub:m']) {
            const r = await ask(lip, protocol, requested, stream);
            expect(r.status).to.equal(200);
            expect(r.models.length).to.be.greaterThan(0);
            expect(new Set(r.models), requested).to.deep.equal(new Set(['m']));
          }
        });
      }
    }

    it('serves an unknown model by the default route and warns once per model name', async () => {
      for (let i = 0; i < 3; i++) expect((await ask(lip, 'openai-chat', 'no-such-model', false)).models).to.deep.equal(['m']);
      await ask(lip, 'anthropic', 'other-unknown', true);
      const unknown = warnings.filter((w) => w.message.startsWith('unknown model'));
      expect(unknown.map((w) => w.meta?.model)).to.deep.equal(['no-such-model', 'other-unknown']);
      expect(unknown[0]!.meta).to.include({ default_route: 'stub:m' });
      // A model a backend lists is not unknown.
      await ask(lip, 'openai-chat', 'm', false);
      expect(warnings.filter((w) => w.message.startsWith('unknown model'))).to.have.length(2);
    });
  });

  describe('routing.echo_requested_model: true', () => {
    let lip: RunningLip;
    before(async () => { lip = await startLip(testConfig(ROWS, `routing: { default_route: "stub:m", echo_requested_model: true }\n${ALIAS}`)); });
    after(() => lip.close());

    for (const protocol of Object.keys(PROTOCOLS) as (keyof typeof PROTOCOLS)[]) {
      it(`${protocol}: whole and streamed answers name the requested model`, async () => {
        for (const stream of [false, true]) {
          const r = await ask(lip, protocol, 'fast', stream);
          expect(r.models.length).to.be.greaterThan(0);
          expect(new Set(r.models), String(stream)).to.deep.equal(new Set(['fast']));
        }
      });
    }
  });

  describe('routing.unknown_model: reject', () => {
    let lip: RunningLip;
    before(async () => { lip = await startLip(testConfig(ROWS, `routing: { default_route: "stub:m", unknown_model: reject }\n${ALIAS}`)); });
    after(() => lip.close());

    const envelopes: Record<keyof typeof PROTOCOLS, (body: any) => void> = {
      'openai-chat': (b) => expect(b.error).to.include({ type: 'not_found_error', code: 'model_not_found', param: 'model' }),
      'openai-responses': (b) => expect(b.error).to.include({ code: 'model_not_found', param: 'model' }),
      anthropic: (b) => expect(b).to.deep.include({ type: 'error' }) && expect(b.error.type).to.equal('not_found_error'),
      gemini: (b) => expect(b.error).to.include({ code: 404, status: 'NOT_FOUND' }),
    };
    for (const protocol of Object.keys(PROTOCOLS) as (keyof typeof PROTOCOLS)[]) {
      it(`${protocol}: 404 in the protocol's envelope, streamed or not; known models still served`, async () => {
        for (const stream of [false, true]) {
          const r = await ask(lip, protocol, 'no-such-model', stream);
          expect(r.status, String(stream)).to.equal(404);
          envelopes[protocol](r.body);
          expect(JSON.stringify(r.body)).to.contain('the model \\"no-such-model\\" names no configured backend and matches no model alias');
          for (const known of ['fast', 'stub:m', 'm']) expect((await ask(lip, protocol, known, stream)).status, known).to.equal(200);
        }
      });
    }

    it('a route in X-LIP-Route is never an unknown model', async () => {
      const res = await fetch(`${lip.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-lip-route': 'stub:m' },
        body: JSON.stringify({ model: 'anything', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).to.equal(200);
    });
  });
});
