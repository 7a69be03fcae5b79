import { expect } from 'chai';
import { ApiError, GoogleGenAI } from '@google/genai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const KEY = 'key-of-alice-0123456789';

/**
 * A Gemini request without a key was told "missing API key: send Authorization: Bearer <key> (or
 * x-api-key)", which is not how a Gemini client sends one. On Gemini's routes the 401 now names
 * Gemini's own places, `x-goog-api-key` or `?key=`; the other protocols' routes keep their hint.
 */
describe('e2e: the 401 for a missing key on a Gemini route names x-goog-api-key and ?key=', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [ { id: a, key: ${KEY}, principal: alice } ] }`));
  });
  after(() => lip.close());

  const HINT = 'missing API key: send x-goog-api-key: <key> (or ?key=<key>)';

  it('a generation, through @google/genai with no key', async () => {
    const ai = new GoogleGenAI({ apiKey: '', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const err = await ai.models.generateContent({ model: 'm', contents: 'hi' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(401);
    expect((err as ApiError).message).to.include(HINT);
    const answer = await new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } }).models.generateContent({ model: 'm', contents: 'hi' });
    expect(answer.text).to.equal('hi');
  });

  it('a model list and a token count; a Chat route keeps its own hint', async () => {
    const models = await httpRequest(`${lip.url}/v1beta/models`, { method: 'GET' });
    expect([models.status, JSON.parse(models.body).error.message]).to.deep.equal([401, HINT]);
    const count = await httpRequest(`${lip.url}/v1beta/models/m:countTokens`, { body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }) });
    expect([count.status, JSON.parse(count.body).error.message]).to.deep.equal([401, HINT]);
    const chat = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    expect([chat.status, JSON.parse(chat.body).error.message]).to.deep.equal([401, 'missing API key: send Authorization: Bearer <key> (or x-api-key)']);
  });
});
