import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * One model whose id holds a `/` (`stub:meta/llama-3`, as OpenRouter's and Hugging Face's ids
 * do). Gemini's SDK does not percent-encode the `/` of `models.get`: the path's last segment was
 * taken for the id, `/v1beta/models/stub:meta` was no model list, and a model that
 * `models.list()` listed and `generateContent` served got 404 "no route for GET". A raw
 * `GET /v1/models/stub:meta/llama-3` failed the same way.
 */
describe('e2e regression: a listed model whose id holds a slash can be looked up', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let google: GoogleGenAI;

  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: ["meta/llama-3"], text: "hi" }', 'routing: { default_route: "stub:meta/llama-3" }'));
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
  });

  it('Gemini models.get finds what models.list lists, and generateContent still serves it', async () => {
    const listed: string[] = [];
    for await (const model of await google.models.list()) listed.push(model.name!);
    expect(listed).to.include('models/stub:meta/llama-3');
    const model = await google.models.get({ model: 'stub:meta/llama-3' });
    expect(model.name).to.equal('models/stub:meta/llama-3');
    const answer = await google.models.generateContent({ model: 'stub:meta/llama-3', contents: 'x' });
    expect(answer.text).to.equal('hi');
  });

  it('Gemini models.get of an unknown id with a slash is a 404 in Gemini\'s envelope', async () => {
    const err = await google.models.get({ model: 'stub:meta/nope' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(404);
    expect((err as Error).message).to.contain('NOT_FOUND').and.not.contain('no route');
  });

  it('OpenAI and Anthropic models.retrieve (which encode the slash) and a raw GET (which does not) find it too', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    expect((await openai.models.retrieve('stub:meta/llama-3')).id).to.equal('stub:meta/llama-3');
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    expect((await anthropic.models.retrieve('stub:meta/llama-3')).id).to.equal('stub:meta/llama-3');
    const raw = await fetch(`${lip.url}/v1/models/stub:meta/llama-3`);
    expect(raw.status).to.equal(200);
    expect(((await raw.json()) as { id: string }).id).to.equal('stub:meta/llama-3');
  });
});
