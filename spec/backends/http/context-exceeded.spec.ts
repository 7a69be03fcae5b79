import { expect } from 'chai';
import { classifyAnthropicStatus } from '../../../lib/backends/anthropic/classify-error.js';
import { classifyBedrockStatus } from '../../../lib/backends/bedrock/classify-error.js';
import { classifyGeminiStatus } from '../../../lib/backends/gemini/classify-error.js';
import { upstreamStreamError } from '../../../lib/backends/http/index.js';
import { classifyChatStatus } from '../../../lib/backends/openai-chat/classify-error.js';
import { classifyResponsesStatus } from '../../../lib/backends/openai-responses/classify-error.js';
import { outcomeOf } from '../../../lib/circuit/circuit-outcome.js';
import type { LipError } from '../../../lib/errors/index.js';

const code = (err: LipError) => [err.code, err.status, err.retryable];
const CONTEXT = ['LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED', 400, false];

/**
 * A request longer than the model's context window is refused by each provider in its own
 * words; lip reads them all as LIP_ERR_UPSTREAM_CONTEXT_EXCEEDED (400; not retryable, as a 4xx,
 * unless routing.context_overflow: next), and nothing else as one.
 */
describe('backends: context-window refusals', () => {
  it('are recognised in every provider\'s and the compatible servers\' words', () => {
    const openai = JSON.stringify({ error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
    expect(code(classifyChatStatus('oa', 400, openai, {}, undefined, []))).to.deep.equal(CONTEXT);
    const responses = JSON.stringify({ error: { message: 'Your input exceeds the context window of this model. Please adjust your input and try again.', type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' } });
    expect(code(classifyResponsesStatus('oa', 400, responses, {}, undefined, []))).to.deep.equal(CONTEXT);
    const anthropic = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } });
    expect(code(classifyAnthropicStatus('an', 400, anthropic, {}, undefined, []))).to.deep.equal(CONTEXT);
    const gemini = JSON.stringify({ error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } });
    expect(code(classifyGeminiStatus('ge', 400, gemini, {}, undefined, []))).to.deep.equal(CONTEXT);
    const bedrock = JSON.stringify({ message: 'Input is too long for requested model.' });
    expect(code(classifyBedrockStatus('br', 400, bedrock, { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, undefined, []))).to.deep.equal(CONTEXT);
    const llamacpp = JSON.stringify({ error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error' } });
    expect(code(classifyChatStatus('ll', 400, llamacpp, {}, undefined, []))).to.deep.equal(CONTEXT);
    const vllm = JSON.stringify({ object: 'error', message: "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.", type: 'BadRequestError', code: 400 });
    expect(code(classifyChatStatus('vl', 400, vllm, {}, undefined, []))).to.deep.equal(CONTEXT);
  });

  it('keeps the upstream\'s words (sanitised) and says what happened', () => {
    const err = classifyChatStatus('oa', 400, JSON.stringify({ error: { message: "This model's maximum context length is 8192 tokens (key sk-secret-123456)", code: 'context_length_exceeded' } }), {}, undefined, ['sk-secret-123456']);
    expect(err.message).to.match(/^backend "oa": the prompt is too long for the model's context window: This model's maximum context length is 8192 tokens/);
    expect(err.message).to.not.contain('sk-secret-123456');
    expect(err.detail).to.deep.include({ backend: 'oa', upstream_status: 400 });
  });

  it('in a stream, before output, is one too', () => {
    expect(code(upstreamStreamError('oa', 'prompt is too long: 300000 tokens > 200000 maximum', []))).to.deep.equal(CONTEXT);
    expect(upstreamStreamError('oa', 'overloaded', []).code).to.equal('LIP_ERR_UPSTREAM_STREAM_ERROR');
  });

  it('other refusals are not: a bad request, a server error, a rate limit', () => {
    expect(classifyChatStatus('oa', 400, JSON.stringify({ error: { message: 'Invalid schema for function get_weather', code: 'invalid_function_parameters' } }), {}, undefined, []).code).to.equal('LIP_ERR_UPSTREAM_STATUS');
    expect(classifyChatStatus('oa', 500, JSON.stringify({ error: { message: 'maximum context length is 8192 tokens' } }), {}, undefined, []).code).to.equal('LIP_ERR_UPSTREAM_STATUS');
    expect(classifyAnthropicStatus('an', 429, JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } }), {}, undefined, []).code).to.equal('LIP_ERR_UPSTREAM_STATUS');
  });

  it('never opens a circuit: the request\'s size is no backend\'s failure', () => {
    expect(outcomeOf(classifyAnthropicStatus('an', 400, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }), {}, undefined, []))).to.equal('ignored');
  });
});
