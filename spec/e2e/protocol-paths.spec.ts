import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { configFrom } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const KEY = 'client-key-0123456789';

/**
 * The smaller wire paths of the four protocols, through the official SDKs where they have the
 * call: OpenAI `models.retrieve`, Gemini's `/v1beta1/` prefix, its JSON-array stream (no
 * `alt=sse`) and `?key=` authentication, and 404s in each protocol's own error envelope.
 */
describe('e2e: protocol paths beside generation', () => {
  let lip: RunningLip;
  before(async () => {
    lip = await startLip(configFrom([
      'auth: { api_keys: [{ id: me, key: "client-key-0123456789" }] }',
      'logging: { access_log: true, include_raw_path: true }',
      'backends:',
      '  - { id: stub, kind: localstub, models: [stub-default], text: "Hello from the stub.", chunks: 3 }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
  });

  it('OpenAI models.retrieve returns one model; an unknown one is a 404 in OpenAI\'s envelope', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const model = await client.models.retrieve('stub:stub-default');
    expect(model).to.include({ id: 'stub:stub-default', object: 'model', owned_by: 'stub' });
    const err = await client.models.retrieve('nope').catch((e: unknown) => e) as InstanceType<typeof OpenAI.NotFoundError>;
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    expect((err.error as { type?: string }).type).to.equal('not_found_error');
    expect(err.message).to.contain('model "nope" is not offered');
  });

  it('Anthropic models.retrieve answers in Anthropic\'s shape; an unknown path under /v1/messages is a 404 in its envelope', async () => {
    const client = new Anthropic({ baseURL: lip.url, apiKey: KEY, maxRetries: 0, openTelemetry: false } as never);
    const info = await client.models.retrieve('stub:stub-default');
    expect(info).to.include({ type: 'model', id: 'stub:stub-default' });
    const res = await fetch(`${lip.url}/v1/messages/nothing-here`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{}' });
    expect(res.status).to.equal(404);
    expect(await res.json()).to.deep.include({ type: 'error' });
  });

  it('404s follow the protocol of the path: OpenAI, Gemini, and plain JSON elsewhere', async () => {
    const openai = await fetch(`${lip.url}/v1/embeddings-nope`);
    expect(openai.status).to.equal(404);
    expect(((await openai.json()) as { error: { type: string } }).error.type).to.equal('not_found_error');
    const gemini = await fetch(`${lip.url}/v1beta/corpora`);
    expect(gemini.status).to.equal(404);
    expect(((await gemini.json()) as { error: { status: string; code: number } }).error).to.include({ status: 'NOT_FOUND', code: 404 });
    const other = await fetch(`${lip.url}/nowhere`);
    expect(other.status).to.equal(404);
  });

  it('Gemini through @google/genai on /v1beta1/, authenticated by ?key= alone (masked in the access log)', async () => {
    const res = await fetch(`${lip.url}/v1beta1/models/stub:stub-default:generateContent?key=${KEY}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts.map((p) => p.text).join('')).to.equal('Hello from the stub.');
    const wrong = await fetch(`${lip.url}/v1beta/models/stub:stub-default:generateContent?key=wrong-key-0000000000`, { method: 'POST', body: '{"contents":[]}' });
    expect(wrong.status).to.equal(401);
    expect(((await wrong.json()) as { error: { status: string } }).error.status).to.equal('UNAUTHENTICATED');
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta1' } });
    const answer = await ai.models.generateContent({ model: 'stub:stub-default', contents: 'hi' });
    expect(answer.text).to.equal('Hello from the stub.');
    const logged = JSON.stringify(lip.logs);
    expect(logged).to.contain('key=***');
    expect(logged).not.to.contain(`key=${KEY}`);
  });

  it('Gemini :streamGenerateContent without alt=sse streams one JSON array, element by element', async () => {
    const res = await fetch(`${lip.url}/v1beta/models/stub:stub-default:streamGenerateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    const text = await res.text();
    expect(text.startsWith('[{')).to.equal(true);
    expect(text).not.to.contain('data:');
    expect(text).not.to.contain(': keepalive');
    const chunks = JSON.parse(text) as { candidates: { content: { parts: { text?: string }[] }; finishReason?: string }[] }[];
    expect(chunks.length).to.be.greaterThan(1);
    expect(chunks.flatMap((c) => c.candidates[0]!.content.parts.map((p) => p.text ?? '')).join('')).to.equal('Hello from the stub.');
    expect(chunks[chunks.length - 1]!.candidates[0]!.finishReason).to.equal('STOP');
  });
});
