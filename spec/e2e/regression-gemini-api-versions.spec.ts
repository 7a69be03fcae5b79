import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const KEY = 'client-key-0123456789';
const STUB = '  - { id: stub, kind: localstub, models: [stub-default], text: "Hello from the stub." }';
const GOOGLE_401 = { code: 401, status: 'UNAUTHENTICATED', message: 'missing API key: send x-goog-api-key: <key> (or ?key=<key>)' };

/**
 * Regression: the Gemini SDKs let a client choose the API version (`HttpOptions(api_version=
 * 'v1alpha' | 'v1')`). Under `/v1alpha/` every path was a 404 in OpenAI's envelope; and `GET
 * /v1/models` (`models.list()`, `models.get()` on v1) was OpenAI's list even with the SDK's
 * `x-goog-api-key` and `x-goog-api-client`, so the SDK read no `models` (an empty list) and a
 * model without `name`; with `?key=` (Google's REST form) it was a 401 in OpenAI's envelope.
 * `/v1alpha/` is now one of Gemini's versions, and `/v1/models` answers in Gemini's shape (its
 * errors in Google's envelope, `?key=` read) when the request has one of those marks; an OpenAI
 * client's `/v1/models` is unchanged.
 */
describe("regression: Gemini's v1alpha and v1 API versions", function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [{ id: me, key: "${KEY}" }] }`));
  });
  after(() => lip.close());

  const gemini = (apiVersion: string) => new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: lip.url, apiVersion } });

  it('@google/genai on v1alpha and v1: generateContent, its stream, countTokens, models.list and models.get', async () => {
    for (const version of ['v1alpha', 'v1']) {
      const ai = gemini(version);
      const answer = await ai.models.generateContent({ model: 'stub:stub-default', contents: 'hi' });
      expect(answer.text, version).to.equal('Hello from the stub.');
      let streamed = '';
      for await (const chunk of await ai.models.generateContentStream({ model: 'stub:stub-default', contents: 'hi' })) streamed += chunk.text ?? '';
      expect(streamed, version).to.equal('Hello from the stub.');
      expect((await ai.models.countTokens({ model: 'stub:stub-default', contents: 'hi' })).totalTokens, version).to.be.a('number');
      const names: string[] = [];
      for await (const model of await ai.models.list()) names.push(model.name!);
      expect(names, version).to.deep.equal(['models/stub:stub-default']);
      expect(await ai.models.get({ model: 'stub:stub-default' }), version).to.include({ name: 'models/stub:stub-default', displayName: 'stub:stub-default' });
    }
  });

  it("Google's REST forms: ?key= on /v1/models, and errors in Google's envelope", async () => {
    const listed = await fetch(`${lip.url}/v1/models?key=${KEY}`);
    expect(listed.status).to.equal(200);
    expect(((await listed.json()) as Json).models[0].name).to.equal('models/stub:stub-default');
    const one = await fetch(`${lip.url}/v1/models/stub:stub-default?key=${KEY}`);
    expect(((await one.json()) as Json).name).to.equal('models/stub:stub-default');
    for (const [path, headers] of [['/v1/models', { 'x-goog-api-client': 'google-genai-sdk/1.20.0 gl-python/3.12.0' }], ['/v1alpha/models', {}]] as const) {
      const missing = await fetch(`${lip.url}${path}`, { headers });
      expect(missing.status, path).to.equal(401);
      expect(((await missing.json()) as Json).error, path).to.include(GOOGLE_401);
    }
    const unknown = await fetch(`${lip.url}/v1/models/nope`, { headers: { 'x-goog-api-key': KEY } });
    expect([unknown.status, ((await unknown.json()) as Json).error.status]).to.deep.equal([404, 'NOT_FOUND']);
    const nothing = await fetch(`${lip.url}/v1alpha/corpora`, { headers: { 'x-goog-api-key': KEY } });
    expect([nothing.status, ((await nothing.json()) as Json).error.status]).to.deep.equal([404, 'NOT_FOUND']);
  });

  it("an OpenAI client's /v1/models, and an Anthropic client's, are as they were", async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const page = await openai.models.list();
    expect(page.data.map((m) => m.id)).to.deep.equal(['stub:stub-default']);
    expect(await openai.models.retrieve('stub:stub-default')).to.include({ id: 'stub:stub-default', object: 'model' });
    const noKey = await fetch(`${lip.url}/v1/models`);
    expect([noKey.status, ((await noKey.json()) as Json).error.type]).to.deep.equal([401, 'authentication_error']);
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: KEY, maxRetries: 0 });
    expect((await anthropic.models.list()).data[0]).to.include({ type: 'model', id: 'stub:stub-default' });
  });
});
