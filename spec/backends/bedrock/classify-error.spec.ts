import { expect } from 'chai';
import { bedrockStreamError, classifyBedrockStatus } from '../../../lib/backends/bedrock/index.js';
import { outcomeOf } from '../../../lib/circuit/circuit-outcome.js';

describe('backends/bedrock/classify-error', () => {
  it('keeps the status an exception frame\'s type comes with over HTTP (a model failure\'s as a 5xx), and its retryability; an unknown type is a 502', () => {
    const of = (type: string | undefined) => bedrockStreamError('br', type, 'x', []);
    const types = ['validationException', 'throttlingException', 'serviceUnavailableException', 'internalServerException', 'modelTimeoutException', 'modelStreamErrorException'];
    // The model's own failures (Bedrock's 408 and 424) are the server errors they are: 504, 502.
    expect(types.map((t) => [of(t).status, of(t).retryable])).to.deep.equal([[400, false], [429, true], [503, true], [500, true], [504, true], [502, true]]);
    expect([of('somethingNewException').status, of('constructor').status, of(undefined).status]).to.deep.equal([502, 502, 502]);
    expect(of('throttlingException')).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR' });
    expect(of('throttlingException').detail).to.deep.include({ upstream_type: 'ThrottlingException' });
    expect(of('modelStreamErrorException').detail).to.deep.include({ upstream_type: 'ModelStreamErrorException' });
  });

  it('answers a model failure over HTTP with a 5xx, keeping the upstream status and code and the retryability', () => {
    const of = (status: number, type: string) => classifyBedrockStatus('br', status, '{"message":"x"}', { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, undefined, []);
    const cases = [[424, 'ModelErrorException'], [424, 'ModelStreamErrorException'], [408, 'ModelTimeoutException'], [400, 'ValidationException'], [429, 'ThrottlingException']] as const;
    expect(cases.map(([status, type]) => [of(status, type).status, of(status, type).retryable])).to.deep.equal([[502, false], [502, true], [504, true], [400, false], [429, true]]);
    expect(of(424, 'ModelErrorException').detail).to.deep.include({ upstream_status: 424, upstream_type: 'ModelErrorException' });
    expect(of(424, 'ModelErrorException').message).to.include('upstream status 424: x');
  });

  it('a refusal of the candidate\'s model id is retryable and counts against the circuit (a 404 to the client), the message with a hint; other validation errors are not', () => {
    const of = (status: number, type: string, message: string) => classifyBedrockStatus('br', status, JSON.stringify({ message }), { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` }, undefined, []);
    const onDemand = of(400, 'ValidationException', "Invocation of model ID anthropic.claude-opus-4-20250514-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.");
    expect([onDemand.status, onDemand.retryable, outcomeOf(onDemand)]).to.deep.equal([404, true, 'failure']);
    expect(onDemand.detail).to.deep.include({ upstream_status: 400, upstream_type: 'ValidationException' });
    expect(onDemand.message).to.equal("backend \"br\": upstream status 400: Invocation of model ID anthropic.claude-opus-4-20250514-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model. (name an inference profile as the model: the model id with us., eu., apac. or global. before it)");
    const invalid = of(400, 'ValidationException', 'The provided model identifier is invalid.');
    expect([invalid.status, invalid.retryable, outcomeOf(invalid)]).to.deep.equal([404, true, 'failure']);
    expect(invalid.message).to.include("(check the model id and the row's region; a model that takes an inference profile is named with us., eu., apac. or global. before its id)");
    const missing = of(404, 'ResourceNotFoundException', 'Could not resolve the foundation model from the provided model identifier.');
    expect([missing.status, missing.retryable, outcomeOf(missing)]).to.deep.equal([404, true, 'failure']);
    // Not about the model, or not Bedrock's code for it: as before.
    expect([of(404, 'ResourceNotFoundException', 'Guardrail not found').retryable, of(400, 'ValidationException', 'messages.0: bad').retryable]).to.deep.equal([false, false]);
    expect(of(400, 'ValidationException', 'messages.0: bad').status).to.equal(400);
    expect(of(400, 'ServiceQuotaExceededException', 'The provided model identifier is invalid.').retryable).to.equal(false);
  });
});
