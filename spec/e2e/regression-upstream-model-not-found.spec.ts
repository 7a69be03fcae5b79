import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

/**
 * An upstream's own 404 for a model it does not have (OpenAI `model_not_found`, Anthropic
 * `not_found_error` "model: x", Gemini NOT_FOUND "models/x is not found") reached an OpenAI
 * client as `code: LIP_ERR_UPSTREAM_STATUS`, where lip's own unknown model is OpenAI's
 * `model_not_found`, the code OpenAI clients branch on. It is `model_not_found` now; the status
 * stays the upstream's 404, and an Anthropic client's envelope is as it was.
 */
describe('e2e regression: an upstream\'s missing-model 404 is model_not_found to OpenAI clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, ge: { kind: 'gemini' } });
  const failure = async (model: string) => {
    const err = await up.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    const { status, code, type } = err as InstanceType<typeof OpenAI.NotFoundError>;
    return { status, code, type };
  };
  const notFound = { status: 404, code: 'model_not_found', type: 'not_found_error' };

  it('an OpenAI upstream\'s model_not_found', async () => {
    up.emulators.oc!.enqueue({ status: 404, error: { message: 'The model `model-x` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' } });
    expect(await failure('oc:model-x')).to.deep.equal(notFound);
  });

  // A dot in the name ended the search for "does not exist" as if it ended the sentence.
  it('an OpenAI upstream\'s model_not_found for a model whose name has a dot', async () => {
    up.emulators.oc!.enqueue({ status: 404, error: { message: 'The model `gpt-4.1-mini` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' } });
    expect(await failure('oc:gpt-4.1-mini')).to.deep.equal(notFound);
  });

  it('an OpenAI-compatible server\'s not-found message for a dotted name, without a code (Ollama)', async () => {
    for (const name of ['qwen2.5:7b', 'llama3.2']) {
      up.emulators.oc!.enqueue({ status: 404, error: { message: `model "${name}" not found, try pulling it first`, type: 'not_found_error' } });
      expect(await failure(`oc:${name}`), name).to.deep.equal(notFound);
    }
  });

  it('OpenAI\'s code model_not_found alone says so, whatever the message', async () => {
    up.emulators.oc!.enqueue({ status: 404, error: { message: 'Your organization cannot use this model version.', type: 'invalid_request_error', code: 'model_not_found' } });
    expect(await failure('oc:gpt-4.1')).to.deep.equal(notFound);
  });

  it('a Responses upstream\'s model_not_found', async () => {
    up.emulators.or!.enqueue({ status: 404, error: { message: 'Your organization cannot use this model version.', type: 'invalid_request_error', code: 'model_not_found' } });
    const err = await up.openai().responses.create({ model: 'or:gpt-4.1-mini', input: 'x' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).to.equal('model_not_found');
  });

  it('a 404 whose second sentence says not found is not about the model', async () => {
    up.emulators.oc!.enqueue({ status: 404, error: { message: 'Unknown model route. The path /v2/chat was not found.' } });
    expect(await failure('oc:model-x')).to.deep.equal({ ...notFound, code: 'LIP_ERR_UPSTREAM_STATUS' });
  });

  it('an Anthropic upstream\'s not_found_error about the model', async () => {
    up.emulators.an!.enqueue({ status: 404, error: { message: 'model: claude-nope', type: 'not_found_error' } });
    expect(await failure('an:claude-nope')).to.deep.equal(notFound);
  });

  it('a Gemini upstream\'s NOT_FOUND for models/x', async () => {
    up.emulators.ge!.enqueue({ status: 404, error: { message: 'models/gemini-nope is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.', type: 'NOT_FOUND' } });
    expect(await failure('ge:gemini-nope')).to.deep.equal(notFound);
  });

  it('a 404 that is not about the model keeps lip\'s code', async () => {
    up.emulators.oc!.enqueue({ status: 404, error: { message: '404 page not found' } });
    expect(await failure('oc:model-x')).to.deep.equal({ ...notFound, code: 'LIP_ERR_UPSTREAM_STATUS' });
  });

  it('an Anthropic client still gets its not_found_error', async () => {
    up.emulators.an!.enqueue({ status: 404, error: { message: 'model: claude-nope', type: 'not_found_error' } });
    const err = await up.anthropic().messages.create({ model: 'an:claude-nope', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.NotFoundError);
    expect(((err as InstanceType<typeof Anthropic.NotFoundError>).error as { error: { type: string } }).error.type).to.equal('not_found_error');
  });
});
