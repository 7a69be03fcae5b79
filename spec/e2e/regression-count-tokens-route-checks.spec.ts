import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/** Anything a client call threw, or a failure when it did not throw. */
async function thrown(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

/**
 * A token count resolves its route as a generation does, checks included. It took the route's
 * first leaf without them: with `routing.unknown_model: reject` a count for a model no backend
 * offers answered 200 with an estimate where a generation answers 404 model_not_found, and an
 * `X-LIP-Route` naming no backend answered 200 where a generation answers 400
 * LIP_ERR_ROUTE_UNKNOWN_BACKEND.
 */
describe('e2e regression: token counts check their route as generations do', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  let google: GoogleGenAI;
  let openai: OpenAI;
  const unknownBackend = { headers: { 'x-lip-route': 'zzz:m' } };
  const messages = [{ role: 'user' as const, content: 'How many tokens?' }];

  before(async () => {
    claude = await startAnthropicEmulator();
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789, models: [claude-sonnet-4-6] }`,
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n'), 'routing: { default_route: "stub:stub-default", unknown_model: reject }'));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await claude?.close();
  });

  describe('an unknown model under routing.unknown_model: reject is a 404 model_not_found, as for a generation', () => {
    it('Anthropic messages.countTokens', async () => {
      const generation = await thrown(anthropic.messages.create({ model: 'nope', max_tokens: 16, messages }));
      const err = await thrown(anthropic.messages.countTokens({ model: 'nope', messages }));
      expect(err).to.be.instanceOf(Anthropic.NotFoundError);
      expect(JSON.stringify((err as InstanceType<typeof Anthropic.APIError>).error)).to.contain('the model \\"nope\\" names no configured backend');
      expect((err as InstanceType<typeof Anthropic.APIError>).status).to.equal((generation as InstanceType<typeof Anthropic.APIError>).status);
    });

    it('Gemini models.countTokens', async () => {
      const err = await thrown(google.models.countTokens({ model: 'nope', contents: 'How many tokens?' }));
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(404);
      expect((err as Error).message).to.contain('NOT_FOUND').and.contain('the model \\"nope\\" names no configured backend');
    });

    it('OpenAI responses.inputTokens.count', async () => {
      const err = await thrown(openai.responses.inputTokens.count({ model: 'nope', input: 'How many tokens?' }));
      expect(err).to.be.instanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).to.equal('model_not_found');
    });

    it('a backend:model, a model a backend lists and a count without a model are still counted', async () => {
      claude.enqueue({ usage: { input: 77, output: 0 } });
      expect(await anthropic.messages.countTokens({ model: 'claude:claude-sonnet-4-6', messages })).to.deep.equal({ input_tokens: 77 });
      expect((await anthropic.messages.countTokens({ model: 'claude-sonnet-4-6', messages }).withResponse()).response.headers.get('x-lip-token-count')).to.equal('estimate');
      expect((await openai.responses.inputTokens.count({ input: 'How many tokens?' })).input_tokens).to.be.a('number');
    });
  });

  describe('an X-LIP-Route naming no configured backend is a 400 LIP_ERR_ROUTE_UNKNOWN_BACKEND, as for a generation', () => {
    it('Anthropic messages.countTokens', async () => {
      const generation = await thrown(anthropic.messages.create({ model: 'm', max_tokens: 16, messages }, unknownBackend));
      const err = await thrown(anthropic.messages.countTokens({ model: 'm', messages }, unknownBackend));
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect(JSON.stringify((err as InstanceType<typeof Anthropic.APIError>).error)).to.contain('no backend \\"zzz\\" is configured');
      expect((err as InstanceType<typeof Anthropic.APIError>).status).to.equal((generation as InstanceType<typeof Anthropic.APIError>).status);
    });

    it('Gemini models.countTokens', async () => {
      const err = await thrown(google.models.countTokens({ model: 'm', contents: 'x', config: { httpOptions: unknownBackend } }));
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(400);
      expect((err as Error).message).to.contain('LIP_ERR_ROUTE_UNKNOWN_BACKEND');
    });

    it('OpenAI responses.inputTokens.count', async () => {
      const err = await thrown(openai.responses.inputTokens.count({ model: 'm', input: 'x' }, unknownBackend));
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err as Error).message).to.contain('no backend "zzz" is configured');
    });
  });
});
