import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const LIMITED = 'limited-key-0123456789';
const OPEN = 'open-key-0123456789ab';
const UPSTREAM_KEY = 'operator-key-0123456789';

/**
 * The client's model text went into the Gemini upstream URL as written:
 * `models/ge:gemini-x%2F..%2F..%2F..%2Fv1%2Fcorpora%2Fsecret:generateContent` reached the
 * upstream as `/v1beta/gemini-x/../../../v1/corpora/secret:generateContent`, with the
 * operator's key, from a key whose `allow` names `ge:gemini-*` only; the `model` field and
 * `X-LIP-Route` did the same on every protocol, for token counts and embeddings too, and a `#`
 * cut the path. Each segment of the model is now percent-encoded, and a model with an empty,
 * `.` or `..` segment is a 400 before any upstream request. `models/x` and `tunedModels/x` still
 * go as they are (docs/backends/gemini.md); Bedrock's one-segment ids refuse `.` and `..` too.
 */
describe('e2e regression: a gemini or bedrock model id cannot leave its upstream path', function () {
  this.timeout(30_000);
  let upstream: Server;
  let paths: string[];
  let lip: RunningLip;

  before(async () => {
    paths = [];
    upstream = createServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      req.on('end', () => {
        const url = req.url ?? '';
        const body = url.includes(':countTokens') ? { totalTokens: 3 }
          : url.includes(':batchEmbedContents') ? { embeddings: [{ values: [0.5, 0.25] }] }
          : url.includes('/invoke') ? { embedding: [0.5, 0.25], inputTextTokenCount: 1 }
          : { candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 } };
        if (url.includes(':streamGenerateContent')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(`data: ${JSON.stringify(body)}\n\n`);
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    lip = await startLip(testConfig(`
  - { id: ge, kind: gemini, base_url: "${base}", api_key: "${UPSTREAM_KEY}", models: [gemini-2.5-flash] }
  - { id: br, kind: bedrock, region: us-east-1, base_endpoint: "${base}", disable_https: true, api_key: "${UPSTREAM_KEY}", models: [amazon.titan-embed-text-v2:0] }
`, `auth: { api_keys: [ { id: limited, key: "${LIMITED}", allow: ["ge:gemini-*"] }, { id: open, key: "${OPEN}" } ] }`));
  });
  after(async () => {
    await lip?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });
  beforeEach(() => {
    paths = [];
  });

  const CONTENTS = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  const gemini = (path: string, key: string, body = CONTENTS) => httpRequest(`${lip.url}${path}`, { headers: { 'x-goog-api-key': key }, body });

  it('Gemini paths: a %2F-encoded ".." in the model is a 400 and nothing reaches the upstream (generate, stream, countTokens, both embeddings calls)', async () => {
    const model = 'ge:gemini-x%2F..%2F..%2F..%2Fv1%2Fcorpora%2Fsecret';
    for (const method of ['generateContent', 'streamGenerateContent?alt=sse', 'countTokens']) {
      const res = await gemini(`/v1beta/models/${model}:${method}`, LIMITED);
      expect([method, res.status]).to.deep.equal([method, 400]);
      expect(JSON.parse(res.body).error.message).to.contain('".." path segment');
    }
    const embed = await gemini(`/v1beta/models/${model}:embedContent`, LIMITED, JSON.stringify({ content: { parts: [{ text: 'hi' }] } }));
    expect(embed.status).to.equal(400);
    const batch = await gemini(`/v1beta/models/${model}:batchEmbedContents`, LIMITED, JSON.stringify({ requests: [{ model: `models/${model}`, content: { parts: [{ text: 'hi' }] } }] }));
    expect(batch.status).to.equal(400);
    expect(paths).to.deep.equal([]);
  });

  it('the model field and X-LIP-Route of the other protocols: a 400 naming the segment, nothing upstream', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OPEN, maxRetries: 0 });
    const chat = await openai.chat.completions.create({ model: 'ge:../../../../v9/pwn', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(chat).to.be.instanceOf(OpenAI.BadRequestError);
    expect((chat as Error).message).to.contain('model "../../../../v9/pwn" cannot be sent to backend "ge"');
    const embeddings = await openai.embeddings.create({ model: 'ge:./x', input: 'hi' }).catch((e: unknown) => e);
    expect(embeddings).to.be.instanceOf(OpenAI.BadRequestError);
    const anthropic = new Anthropic({ baseURL: lip.url, apiKey: OPEN, maxRetries: 0 });
    const routed = await anthropic.messages.create({ model: 'ignored', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-lip-route': 'ge:models//x' } }).catch((e: unknown) => e);
    expect(routed).to.be.instanceOf(Anthropic.BadRequestError);
    expect((routed as Error).message).to.contain('an empty path segment');
    const counted = await anthropic.messages.countTokens({ model: 'ge:tunedModels/..', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(counted).to.be.instanceOf(Anthropic.BadRequestError);
    expect(paths).to.deep.equal([]);
  });

  it('Bedrock refuses a model of "." or ".." (its ids are one segment; encoding leaves dots as they are)', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OPEN, maxRetries: 0 });
    for (const model of ['br:..', 'br:.']) {
      const err = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect([model, err]).to.satisfy(([, e]: [string, unknown]) => e instanceof OpenAI.BadRequestError);
    }
    const embedded = await openai.embeddings.create({ model: 'br:..', input: 'hi' }).catch((e: unknown) => e);
    expect(embedded).to.be.instanceOf(OpenAI.BadRequestError);
    expect(paths).to.deep.equal([]);
  });

  it('what may go still goes, each segment percent-encoded: a bare id under models/, models/x and tunedModels/x as given, #, apostrophe, colon and percent escaped', async () => {
    const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: OPEN, maxRetries: 0 });
    for (const model of ['ge:gemini-2.5-flash', 'ge:models/gemini-2.5-pro', 'ge:tunedModels/my-tune', 'ge:a#b', "ge:a'b", 'ge:a:b%2e']) {
      const answer = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]!.message.content).to.equal('ok');
    }
    await openai.embeddings.create({ model: 'ge:text-embedding-004', input: 'hi' });
    await openai.embeddings.create({ model: 'br:amazon.titan-embed-text-v2:0', input: 'hi' });
    expect(paths).to.deep.equal([
      '/v1beta/models/gemini-2.5-flash:generateContent',
      '/v1beta/models/gemini-2.5-pro:generateContent',
      '/v1beta/tunedModels/my-tune:generateContent',
      '/v1beta/models/a%23b:generateContent',
      '/v1beta/models/a%27b:generateContent',
      '/v1beta/models/a%3Ab%252e:generateContent',
      '/v1beta/models/text-embedding-004:batchEmbedContents',
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
    ]);
  });

  it('a key limited to ge:gemini-* is served by the model it may use, through a Gemini path', async () => {
    const res = await gemini('/v1beta/models/ge:gemini-2.5-flash:generateContent', LIMITED);
    expect(res.status).to.equal(200);
    expect(paths).to.deep.equal(['/v1beta/models/gemini-2.5-flash:generateContent']);
  });
});
