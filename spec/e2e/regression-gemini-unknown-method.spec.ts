import { ApiError, GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

type Json = Record<string, any>;

const KEY = 'client-key-0123456789';
const STUB = '  - { id: stub, kind: localstub, models: [stub-default], text: "hi" }';

/**
 * Regression: a Gemini method lip does not implement (Imagen's `:predict`; Veo's
 * `:predictLongRunning`, what `ai.models.generateVideos` sends; `:generateAnswer`) was answered
 * 405 with `Allow: GET`, as if it were another method of the model `stub:stub-default:predict`,
 * where Google answers 404. A POST whose last path segment ends in a custom method
 * (`{model}:{verb}`) that no route has is now a 404 in Google's envelope, without `Allow`.
 */
describe('regression: an unknown Gemini method is a 404, not a 405', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(testConfig(STUB, `auth: { api_keys: [{ id: me, key: "${KEY}" }] }`));
  });
  after(() => lip.close());

  it('POST :predict, :predictLongRunning and :generateAnswer (also %3A-encoded, and under /v1/): 404 NOT_FOUND', async () => {
    for (const path of ['/v1beta/models/stub:stub-default:predict', '/v1beta/models/stub:stub-default:predictLongRunning', '/v1beta/models/gemini-2.5-flash:generateAnswer',
      '/v1beta/models/stub:stub-default%3Apredict', '/v1/models/imagen-4.0-generate-001:predict']) {
      const res = await fetch(`${lip.url}${path}`, { method: 'POST', headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' }, body: '{"instances":[{"prompt":"a cat"}]}' });
      expect([res.status, res.headers.get('allow')], path).to.deep.equal([404, null]);
      expect(((await res.json()) as Json).error, path).to.include({ code: 404, status: 'NOT_FOUND' });
    }
  });

  it('ai.models.generateVideos (Veo\'s :predictLongRunning) is an ApiError 404; a POST to a model without a method is still the 405 of GET /v1beta/models/{id}', async () => {
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const err = await ai.models.generateVideos({ model: 'veo-3.0-generate-001', source: { prompt: 'a cat' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(404);
    const model = await fetch(`${lip.url}/v1beta/models/stub:stub-default`, { method: 'POST', headers: { 'x-goog-api-key': KEY }, body: '{}' });
    expect([model.status, model.headers.get('allow')]).to.deep.equal([405, 'GET']);
  });
});
