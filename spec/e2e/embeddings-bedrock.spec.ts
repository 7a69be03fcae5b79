import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { EMULATOR_AWS, startBedrockEmulator, startOpenAIChatEmulator, verifyBedrockRequest, type Emulator } from '../helpers/emulators/index.js';
import { emulatedEmbedding } from '../helpers/emulators/script.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-english-v3';
const COHERE_V4 = 'us.cohere.embed-v4:0';

/**
 * Embeddings through a bedrock backend (InvokeModel, SigV4-signed, checked by the emulator):
 * Amazon Titan one text per call, Cohere Embed a batch per call, reached by the official OpenAI
 * and Gemini SDKs; failover away from a bedrock candidate; a model of no known family and a
 * length the model cannot give refused with a 400 before anything is sent.
 */
describe('e2e: embeddings through a bedrock backend', () => {
  let bedrock: Emulator;
  let chat: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  let google: GoogleGenAI;
  before(async () => {
    [bedrock, chat] = await Promise.all([startBedrockEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig([
      bedrockRow('br', bedrock),
      `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key: chat-key-0123456789 }`,
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    await Promise.all([bedrock?.close(), chat?.close()]);
  });
  beforeEach(() => {
    bedrock.reset();
    chat.reset();
  });
  const signedByLip = async () => {
    for (const request of bedrock.requests) expect(await verifyBedrockRequest(request), request.path).to.equal(undefined);
  };

  it('OpenAI embeddings.create (base64 by default) through Titan: one signed InvokeModel call per text (side by side), the vectors in input order, the token counts added up', async () => {
    bedrock.enqueue({ usage: { input: 3, output: 0 } }, { usage: { input: 4, output: 0 } }, { usage: { input: 2, output: 0 } });
    const res = await openai.embeddings.create({ model: `br:${TITAN}`, input: ['first text', 'second', 'δ'] }).withResponse();
    expect(res.data.data.map((d) => d.embedding)).to.deep.equal(['first text', 'second', 'δ'].map((t) => emulatedEmbedding(t)));
    expect(res.data.data.map((d) => d.index)).to.deep.equal([0, 1, 2]);
    expect(res.data).to.deep.include({ model: TITAN, usage: { prompt_tokens: 9, total_tokens: 9 } });
    expect(res.response.headers.get('x-lip-backend')).to.equal(`br:${TITAN}`);
    expect(res.response.headers.get('x-lip-token-count')).to.equal('upstream');
    const sent = bedrock.requests.map((r) => [r.path, r.key, r.body] as const);
    expect(sent.sort((a, b) => String(a[2].inputText).localeCompare(String(b[2].inputText)))).to.deep.equal(['first text', 'second', 'δ'].map((inputText) => [
      `/model/${encodeURIComponent(TITAN)}/invoke`, EMULATOR_AWS.accessKeyId, { inputText },
    ]));
    await signedByLip();
  });

  it('encoding_format float with dimensions through Cohere Embed v4 (one call, output_dimension, vectors read by type)', async () => {
    const res = await openai.embeddings.create({ model: `br:${COHERE_V4}`, input: ['one', 'two', 'three'], encoding_format: 'float', dimensions: 256 }).withResponse();
    expect(res.data.data.map((d) => d.embedding)).to.deep.equal(['one', 'two', 'three'].map((t) => emulatedEmbedding(t, 256)));
    expect(res.response.headers.get('x-lip-token-count')).to.equal('estimate'); // Cohere on Bedrock reports no count
    expect(res.data.usage.prompt_tokens).to.be.greaterThan(0);
    expect(bedrock.requests).to.have.length(1);
    expect(bedrock.requests[0]!.path).to.equal('/model/us.cohere.embed-v4%3A0/invoke');
    expect(bedrock.requests[0]!.body).to.deep.equal({ texts: ['one', 'two', 'three'], input_type: 'search_document', output_dimension: 256 });
    await signedByLip();
  });

  it('Gemini models.embedContent through Cohere Embed v3: the task type as input_type, several contents in one call', async () => {
    const res = await google.models.embedContent({ model: `br:${COHERE}`, contents: ['what is lip?', 'a proxy'], config: { taskType: 'RETRIEVAL_QUERY' } });
    expect(res.embeddings!.map((e) => e.values)).to.deep.equal([emulatedEmbedding('what is lip?'), emulatedEmbedding('a proxy')]);
    expect(bedrock.requests.map((r) => [r.path, r.body])).to.deep.equal([
      [`/model/${COHERE}/invoke`, { texts: ['what is lip?', 'a proxy'], input_type: 'search_query' }],
    ]);
    await signedByLip();
  });

  it('fails over from a bedrock candidate that fails retryably (throttled) to the next one', async () => {
    bedrock.enqueue({ status: 429, error: { message: 'Too many requests, please wait before trying again.' } });
    const res = await openai.embeddings.create({ model: 'ignored', input: 'x' }, { headers: { 'x-lip-route': `br:${COHERE}|chat:text-embedding-3-small` } }).withResponse();
    expect(res.response.headers.get('x-lip-backend')).to.equal('chat:text-embedding-3-small');
    expect(res.data.data[0]!.embedding).to.deep.equal(emulatedEmbedding('x'));
    expect([bedrock.requests.length, chat.requests.length]).to.deep.equal([1, 1]);

    bedrock.enqueue({ status: 503, error: { message: 'Service unavailable' } });
    const other = await openai.embeddings.create({ model: `br:${COHERE}|br:${TITAN}`, input: 'y' }).withResponse();
    expect(other.response.headers.get('x-lip-backend')).to.equal(`br:${TITAN}`);
    expect(bedrock.requests.slice(1).map((r) => r.model)).to.deep.equal([COHERE, TITAN]);
    await signedByLip();
  });

  it('a route whose only candidate is a bedrock model of no known family is a 400 naming the model, in each protocol\'s envelope', async () => {
    const err = await openai.embeddings.create({ model: 'br:anthropic.claude-sonnet-4-20250514-v1:0', input: 'x' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.error).to.deep.include({ code: 'LIP_ERR_EMBEDDINGS_UNSUPPORTED', param: 'model' });
    expect(err.message).to.contain('anthropic.claude-sonnet-4-20250514-v1:0').and.contain('Amazon Titan Embeddings').and.contain('Cohere Embed');
    const gemini = await google.models.embedContent({ model: 'br:amazon.nova-pro-v1', contents: 'x' }).catch((e: unknown) => e) as Error;
    expect(gemini.message).to.contain('amazon.nova-pro-v1').and.contain('INVALID_ARGUMENT');
    expect(bedrock.requests).to.have.length(0);
  });

  it('a bedrock model of no embedding family is passed over for the next candidate of the route', async () => {
    const res = await openai.embeddings.create({ model: 'br:anthropic.claude-sonnet-4-20250514-v1:0|chat:text-embedding-3-small', input: 'x' }).withResponse();
    expect(res.response.headers.get('x-lip-backend')).to.equal('chat:text-embedding-3-small');
    expect([bedrock.requests.length, chat.requests.length]).to.deep.equal([0, 1]);
  });

  it('dimensions the model cannot give are a 400 naming dimensions and the model, not left out', async () => {
    const err = await openai.embeddings.create({ model: `br:${COHERE}`, input: 'x', dimensions: 256 }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'dimensions' });
    expect(err.message).to.contain(COHERE);
    const titan = await openai.embeddings.create({ model: `br:${TITAN}`, input: 'x', dimensions: 768 }).catch((e: unknown) => e) as Error;
    expect(titan.message).to.contain('256, 512, 1024').and.contain('not 768');
    expect(bedrock.requests).to.have.length(0);
  });
});
