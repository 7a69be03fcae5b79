import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

/** The error a streamed Chat Completions request through lip ended with. */
async function chatError(client: OpenAI, model: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await (async () => {
    for await (const _ of await client.chat.completions.create({ model, messages, stream: true }));
  })().then(() => undefined, (e: unknown) => e);
  expect(err).to.be.instanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

/**
 * An OpenAI Responses upstream's failure inside its stream lost what it said: the `error` event
 * nests its details (`{"type":"error","error":{"type","code","message","param"}}`) and lip read
 * only the top level, so a context-window refusal was a bare 502 "the upstream reported an error"
 * (no compaction hint for the agent); and no failure kept a status, so a refused prompt
 * (`response.failed` `invalid_prompt`) was a 502 the SDKs retry and a rate limit "every candidate
 * failed". Both forms of the `error` event are now read, and the error keeps the status of its
 * code: 400 for a refused prompt or image, 429 for a rate limit, the context error for
 * `context_length_exceeded`.
 */
describe('e2e regression: an OpenAI Responses upstream\'s in-stream failure keeps its message and status', function () {
  this.timeout(20_000);
  const up = useUpstreams({ rs: { kind: 'openai-responses' } });

  it('a nested context_length_exceeded error event is the context-window error, with the upstream\'s words', async () => {
    const message = 'Your input exceeds the context window of this model. Please adjust your input and try again.';
    up.emulators.rs!.enqueue({ streamError: { type: 'invalid_request_error', code: 'context_length_exceeded', message } });
    const err = await chatError(up.openai(), 'rs:gpt-5');
    expect(err.status).to.equal(400);
    expect(err.code).to.equal('context_length_exceeded');
    expect(err.message).to.include(message);
  });

  it('the flat error event of OpenAI\'s docs is read too', async () => {
    const created = `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', model: 'gpt-5', output: [] } })}\n\n`;
    const error = `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 1, code: 'invalid_prompt', message: 'Invalid prompt: flagged.', param: null })}\n\n`;
    up.emulators.rs!.enqueue({ rawFrames: [created, error] });
    const err = await chatError(up.openai(), 'rs:gpt-5');
    expect(err.status).to.equal(400);
    expect(err.message).to.include('Invalid prompt: flagged.');
    expect(up.emulators.rs!.requests).to.have.length(1);
  });

  it('a nested too_many_requests error event is a 429 rate limit to an Anthropic client', async () => {
    up.emulators.rs!.enqueue({ streamError: { type: 'too_many_requests', code: 'too_many_requests', message: 'Too Many Requests' } });
    const err = await up.anthropic().messages.create({ model: 'rs:gpt-5', max_tokens: 50, messages, stream: true }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).to.equal(429);
    expect(((err as InstanceType<typeof Anthropic.APIError>).error as { error: { type: string } }).error.type).to.equal('rate_limit_error');
  });

  for (const code of ['invalid_prompt', 'image_content_policy_violation']) {
    it(`response.failed with ${code} is a 400, not retried`, async () => {
      up.emulators.rs!.enqueue({ streamError: { code, message: `refused: ${code}` } }, { text: 'never' });
      const err = await chatError(up.openai(), 'rs:gpt-5|rs:gpt-5-b');
      expect(err.status).to.equal(400);
      expect(err.message).to.include(`refused: ${code}`);
      expect(up.emulators.rs!.requests).to.have.length(1);
    });
  }

  it('response.failed with rate_limit_exceeded fails over, and is the route\'s 429 when every candidate says so', async () => {
    up.emulators.rs!.enqueue({ streamError: { code: 'rate_limit_exceeded', message: 'Rate limit reached' } }, { streamError: { code: 'rate_limit_exceeded', message: 'Rate limit reached' } });
    const err = await chatError(up.openai(), 'rs:gpt-5|rs:gpt-5-b');
    expect(err.status).to.equal(429);
    expect(up.emulators.rs!.requests.map((r) => r.model)).to.deep.equal(['gpt-5', 'gpt-5-b']);
  });
});
