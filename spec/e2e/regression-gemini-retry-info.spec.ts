import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const FREE = 'lip-free-key-0123456789';
const LIMITED = 'lip-limited-key-0123456789';

interface GoogleError { code: number; status: string; details: Record<string, unknown>[] }

/**
 * Gemini clients read when to retry from the error's `details`, not from the Retry-After header:
 * gemini-cli takes `{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}`,
 * as Google's own 429 carries it. lip's Gemini envelope had only its ErrorInfo (and a
 * BadRequest), so a route whose every candidate was rate-limited, or a lip API key over its own
 * limit, told a Gemini client nothing of the wait the Retry-After header said. The details now
 * carry a RetryInfo with the same whole seconds whenever the error knows when to retry.
 */
describe('e2e regression: Gemini clients get RetryInfo in the error details', function () {
  this.timeout(30_000);
  let gemini: Emulator;
  let lip: RunningLip;

  before(async () => {
    gemini = await startGeminiEmulator();
    lip = await startLip(testConfig(
      [
        `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: "k-upstream-0123456789" }`,
        // Rate-limited by its upstream (its key then cools down: the other cases use gem).
        `  - { id: busy, kind: gemini, base_url: "${gemini.url}", api_key: "k-busy-0123456789" }`,
      ].join('\n'),
      [
        'routing: { default_route: "gem:gemini-2.5-flash" }',
        'auth:',
        '  api_keys:',
        `    - { id: free, key: "${FREE}" }`,
        `    - { id: limited, key: "${LIMITED}", requests_per_minute: 1 }`,
      ].join('\n'),
    ));
  });
  beforeEach(() => gemini.reset());
  after(async () => {
    await lip?.close();
    await gemini?.close();
  });

  /** The SDK's ApiError for `generateContent` with lip key `key` (its message is the error body as JSON). */
  const refusal = async (key: string, model = 'gem:gemini-2.5-flash') => {
    const google = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    const err = await google.models.generateContent({ model, contents: 'hi' }).then(() => undefined, (e: unknown) => e as { status: number; message: string });
    expect(err, 'the request was refused').to.not.equal(undefined);
    return { status: err!.status, error: (JSON.parse(err!.message) as { error: GoogleError }).error };
  };
  const retryInfo = (error: GoogleError) => error.details.filter((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');

  it('when every candidate is rate-limited: the upstream\'s wait, as the Retry-After header says it', async () => {
    gemini.handler = () => ({ status: 429, error: { message: 'Resource has been exhausted (e.g. check quota).' }, headers: { 'retry-after': '17' } });
    const { status, error } = await refusal(FREE, 'busy:gemini-2.5-flash');
    expect({ status, rpc: error.status }).to.deep.equal({ status: 429, rpc: 'RESOURCE_EXHAUSTED' });
    expect(error.details).to.deep.include({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'LIP_ERR_ROUTE_RATE_LIMITED', domain: 'lip' });
    expect(retryInfo(error)).to.deep.equal([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17s' }]);
  });

  it('when a lip API key is over its own requests_per_minute', async () => {
    gemini.handler = undefined;
    const google = new GoogleGenAI({ apiKey: LIMITED, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
    await google.models.generateContent({ model: 'gem:gemini-2.5-flash', contents: 'hi' });
    const header = await fetch(`${lip.url}/v1beta/models/gem:gemini-2.5-flash:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': LIMITED }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    const body = (await header.json()) as { error: GoogleError };
    expect(header.status).to.equal(429);
    const seconds = Number(header.headers.get('retry-after'));
    expect(seconds).to.be.within(1, 60);
    expect(body.error.details).to.deep.include({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'LIP_ERR_AUTH_KEY_LIMITED', domain: 'lip' });
    expect(retryInfo(body.error)).to.deep.equal([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` }]);
    const { error } = await refusal(LIMITED);
    expect(retryInfo(error)).to.have.length(1);
  });

  it('no RetryInfo on an error that does not know when to retry', async () => {
    gemini.handler = () => ({ status: 400, error: { message: 'bad request' } });
    const { status, error } = await refusal(FREE);
    expect(status).to.equal(400);
    expect(retryInfo(error)).to.deep.equal([]);
  });
});
