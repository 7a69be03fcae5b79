import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by probing: a malformed resume token sent in the body
 * (`client.responses.create({ ..., metadata: { lip_resume_token: 'xyz' } })`) got a 400 with
 * `param: "X-LIP-Resume-Token"` and a message naming that header, which the client never sent.
 * The error now names where the token came from: `metadata.lip_resume_token` for the body, the
 * header when it was the header.
 */
describe('e2e regression: a bad resume token is named where the client sent it', function () {
  this.timeout(20_000);
  let lip: RunningLip;
  let client: OpenAI;

  before(async () => {
    lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }', 'routing: { default_route: "stub:m" }'));
    client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(() => lip?.close());

  /** The SDK's error for a request, or a failure when it succeeded. */
  const refusal = async (request: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
    try {
      await request;
    } catch (err) {
      if (err instanceof OpenAI.APIError) return err;
      throw err;
    }
    throw new Error('expected the request to be refused');
  };

  it('Responses, metadata.lip_resume_token: 400 with param metadata.lip_resume_token, no header named', async () => {
    const err = await refusal(client.responses.create({ model: 'stub:m', input: 'hi', metadata: { lip_resume_token: 'xyz' } }));
    expect(err.status).to.equal(400);
    expect(err.param).to.equal('metadata.lip_resume_token');
    expect(err.message).to.contain('metadata.lip_resume_token must be the 64-character token lip returned when the conversation started');
    expect(err.message).to.not.contain('X-LIP-Resume-Token');
  });

  it('Chat Completions, metadata.lip_resume_token: the same', async () => {
    const err = await refusal(client.chat.completions.create({ model: 'stub:m', messages: [{ role: 'user', content: 'hi' }], metadata: { lip_resume_token: 'xyz' } }));
    expect([err.status, err.param]).to.deep.equal([400, 'metadata.lip_resume_token']);
    expect(err.message).to.not.contain('X-LIP-Resume-Token');
  });

  it('the header (which wins over the body) is still named as the header', async () => {
    const err = await refusal(client.responses.create({ model: 'stub:m', input: 'hi', metadata: { lip_resume_token: 'Q'.repeat(64) } }, { headers: { 'X-LIP-Resume-Token': 'xyz' } }));
    expect([err.status, err.param]).to.deep.equal([400, 'X-LIP-Resume-Token']);
    expect(err.message).to.contain('X-LIP-Resume-Token must be the 64-character token');
  });
});
