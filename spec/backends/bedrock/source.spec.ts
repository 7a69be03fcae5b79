import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bedrockBackend, BEDROCK_DEFAULTS } from '../../../lib/backends/bedrock/index.js';
import type { AwsCredentials } from '../../../lib/backends/bedrock/index.js';
import { classifyBedrockStatus, keyRefused } from '../../../lib/backends/bedrock/classify-error.js';
import { emptyCall, REASONING_DIALECTS, type Call, type LipEvent } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { outcomeOf } from '../../../lib/circuit/circuit-outcome.js';
import {
  backendOf, drain, EMULATOR_AWS, runtimeFor, startBedrockEmulator, verifyBedrockRequest, type Emulator,
} from '../../helpers/emulators/index.js';
import { emulatedEmbedding } from '../../helpers/emulators/script.js';

const row = (emu: Emulator, extra = `access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey}`) =>
  `  - { id: br, kind: bedrock, region: us-east-1, base_endpoint: "${emu.origin}", disable_https: true, ${extra} }`;
const call = (overrides: Partial<Call> = {}): Call => emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const MODEL = 'anthropic.claude-sonnet-4-20250514-v1:0';
const types = (events: readonly LipEvent[]) => events.map((e) => e.type);

describe('backends/bedrock/source', () => {
  let emu: Emulator;
  let runtime: Runtime;
  before(async () => {
    emu = await startBedrockEmulator();
    runtime = runtimeFor(row(emu));
  });
  after(async () => {
    await runtime.close();
    await emu.close();
  });
  beforeEach(() => {
    emu.reset();
    emu.handler = undefined;
  });
  const run = (c: Call = call(), model = MODEL, whole = false) => drain(backendOf(runtime, 'br').stream(c, { model, candidateKey: `br:${model}`, whole }));

  it('streams ConverseStream through a SigV4-signed request the emulator verifies: path encoded once, service bedrock', async () => {
    emu.enqueue({ reasoning: { text: ['Think', 'ing'], signature: 'sig-1', redacted: 'cmVkYWN0ZWQ=' }, text: ['Hello', ' there'], usage: { input: 100, output: 20, cacheRead: 60, cacheWrite: 10 } });
    const { events, error, violations } = await run();
    expect(error).to.equal(undefined);
    expect(violations).to.deep.equal([]);
    const request = emu.requests[0]!;
    expect(request.path).to.equal('/model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream');
    expect(request.model).to.equal(MODEL);
    expect(String(request.headers.authorization)).to.match(/^AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    expect(await verifyBedrockRequest(request), 'the emulator recomputed the same signature').to.equal(undefined);
    expect(events).to.deep.equal([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'reasoning_delta', text: 'Think' }, { type: 'reasoning_delta', text: 'ing' }, { type: 'reasoning_signature', signature: 'sig-1', dialect: 'anthropic.thinking' },
      { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'cmVkYWN0ZWQ=' },
      { type: 'text_delta', text: 'Hello' }, { type: 'text_delta', text: ' there' },
      { type: 'usage', usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cacheReadTokens: 60, cacheWriteTokens: 10 } },
      { type: 'response_finished', reason: 'stop' },
    ]);
  });

  it('a tampered signature is refused by the emulator (403 InvalidSignatureException), so the check can fail', async () => {
    emu.enqueue({ text: 'x' });
    await run();
    const request = emu.requests[0]!;
    const tampered = { ...request, raw: request.raw.replace('hi', 'ho') };
    expect((await verifyBedrockRequest(tampered))?.error.type).to.equal('XAmzContentSHA256Mismatch');
    const forged = { ...request, headers: { ...request.headers, 'x-amz-content-sha256': createHash('sha256').update(tampered.raw).digest('hex') }, raw: tampered.raw };
    expect((await verifyBedrockRequest(forged))?.error.type).to.equal('InvalidSignatureException');
    const otherPath = { ...request, path: request.path.replace('%3A0', '%3A1') };
    expect((await verifyBedrockRequest(otherPath))?.error.type).to.equal('InvalidSignatureException');
  });

  it('maps tool use by contentBlockIndex and the tool_use stop reason', async () => {
    emu.enqueue({ toolCalls: [{ id: 't1', name: 'get_weather', args: ['{"city":', '"Paris"}'] }, { id: 't2', name: 'noop', args: [] }] });
    const { events, error } = await run(call({ tools: [{ name: 'get_weather', parameters: { type: 'object' } }, { name: 'noop', parameters: {} }] }));
    expect(error).to.equal(undefined);
    expect(events.filter((e) => e.type.startsWith('tool_call'))).to.deep.equal([
      { type: 'tool_call_started', id: 't1', name: 'get_weather' }, { type: 'tool_call_delta', id: 't1', args: '{"city":' }, { type: 'tool_call_delta', id: 't1', args: '"Paris"}' },
      { type: 'tool_call_finished', id: 't1' },
      { type: 'tool_call_started', id: 't2', name: 'noop' }, { type: 'tool_call_delta', id: 't2', args: '{}' }, { type: 'tool_call_finished', id: 't2' },
    ]);
    expect(events[events.length - 1]).to.deep.equal({ type: 'response_finished', reason: 'tool_calls' });
    expect(emu.requests[0]!.body.toolConfig).to.deep.equal({
      tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }, { toolSpec: { name: 'noop', inputSchema: { json: { type: 'object', properties: {} } } } }],
      toolChoice: { auto: {} },
    });
  });

  it('a whole target goes to /converse and yields the same events', async () => {
    const script = { reasoning: { text: 'Hmm', signature: 'sig-2' }, text: 'Hi', toolCalls: [{ id: 't9', name: 'f', args: '{"a":1}' }], usage: { input: 9, output: 3 } };
    emu.enqueue(script, script);
    const streamed = await run(call(), MODEL, false);
    const whole = await run(call({ stream: false }), MODEL, true);
    expect(emu.requests.map((r) => [r.path.split('/').pop(), r.stream])).to.deep.equal([['converse-stream', true], ['converse', false]]);
    expect(whole.error).to.equal(undefined);
    expect(whole.events.filter((e) => e.type !== 'tool_call_delta')).to.deep.equal(streamed.events.filter((e) => e.type !== 'tool_call_delta'));
    expect(whole.events.filter((e) => e.type === 'tool_call_delta').map((e) => (e as { args: string }).args).join('')).to.equal('{"a":1}');
    expect(await verifyBedrockRequest(emu.requests[1]!)).to.equal(undefined);
  });

  it('throttling before output is retryable (fails over, counts against the circuit) and keeps the AWS code', async () => {
    emu.enqueue({ status: 429, error: { message: 'Too many requests' } });
    const { error } = await run();
    expect(error?.code).to.equal('LIP_ERR_UPSTREAM_STATUS');
    expect(error?.status).to.equal(429);
    expect(error?.retryable).to.equal(true);
    expect((error?.detail as { upstream_type?: string }).upstream_type).to.equal('ThrottlingException');
    expect(outcomeOf(error)).to.equal('failure');
  });

  it('refused credentials are retryable and count against the circuit; a validation error reaches the client and does not', async () => {
    emu.enqueue({ status: 403, error: { message: 'You do not have access to the model', type: 'AccessDeniedException' } });
    const denied = (await run()).error!;
    expect([denied.status, denied.retryable, outcomeOf(denied)]).to.deep.equal([403, true, 'failure']);
    emu.enqueue({ status: 400, error: { message: 'messages: bad' } });
    const invalid = (await run()).error!;
    expect([invalid.status, invalid.retryable, outcomeOf(invalid)]).to.deep.equal([400, false, 'ignored']);
    expect(invalid.message).to.contain('messages: bad');
  });

  it('an exception frame before output is retryable when transient; after output it is an in-stream error', async () => {
    emu.enqueue({ streamError: { message: 'try later', type: 'throttlingException' } });
    const before = await run();
    expect(before.events.some((e) => e.type === 'text_delta')).to.equal(false);
    expect([before.error?.code, before.error?.retryable]).to.deep.equal(['LIP_ERR_UPSTREAM_STREAM_ERROR', true]);
    emu.enqueue({ text: 'partial', streamError: { message: 'the model broke', type: 'modelStreamErrorException' } });
    const after = await run();
    expect(after.events.map((e) => e.type)).to.include('text_delta');
    expect(after.error?.message).to.contain('the model broke');
    expect((after.error?.detail as { upstream_type?: string }).upstream_type).to.equal('ModelStreamErrorException');
  });

  it('a corrupt frame (bad CRC) is a malformed stream; a body cut inside a frame is a reset', async () => {
    emu.enqueue({ text: ['a', 'b'], fault: { malformedAt: 2 } });
    expect((await run()).error?.code).to.equal('LIP_ERR_UPSTREAM_MALFORMED');
    emu.enqueue({ text: ['a', 'b'], fault: { reset: 'after_output' } });
    expect((await run()).error?.code).to.be.oneOf(['LIP_ERR_UPSTREAM_RESET']);
  });

  it('unsubscribing aborts the upstream at once (the emulator sees the close)', async () => {
    emu.enqueue({ text: 'never', fault: { stall: 'before_first_token' } });
    const closed = emu.nextClose();
    const sub = backendOf(runtime, 'br').stream(call(), { model: MODEL, candidateKey: 'br:m' }).subscribe({ next: () => undefined, error: () => undefined });
    while (emu.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    sub.unsubscribe();
    expect((await closed).path).to.contain('/converse-stream');
  });

  it('lists foundation models with a signed ListFoundationModels request (lip inventory --live)', async () => {
    emu.models = ['anthropic.claude-3-haiku', 'amazon.nova-pro-v1:0'];
    expect(await backendOf(runtime, 'br').listModels!()).to.deep.equal(['amazon.nova-pro-v1:0', 'anthropic.claude-3-haiku']);
    expect(emu.requests[0]!.path).to.equal('/foundation-models');
    expect(await verifyBedrockRequest(emu.requests[0]!)).to.equal(undefined);
  });

  it('sends a Bedrock API key as a bearer token instead of signing; a refused key rotates to the next', async () => {
    const keyed = runtimeFor(row(emu, 'api_keys: [bedrock-api-key-1, bedrock-api-key-2]'));
    try {
      emu.handler = (r) => (r.key === 'bedrock-api-key-1' ? { status: 401, error: { message: 'bad key', type: 'UnrecognizedClientException' } } : { text: 'ok' });
      const { error, events } = await drain(backendOf(keyed, 'br').stream(call(), { model: MODEL, candidateKey: 'br:m' }));
      expect(error).to.equal(undefined);
      expect(events.some((e) => e.type === 'text_delta')).to.equal(true);
      expect(emu.requests.map((r) => r.headers.authorization)).to.deep.equal(['Bearer bedrock-api-key-1', 'Bearer bedrock-api-key-2']);
    } finally {
      await keyed.close();
    }
  });

  // Found by probing odd upstreams: Bedrock refuses an API key with a 403 (UnrecognizedClient-
  // Exception, "The security token included in the request is invalid."), not a 401, so a revoked
  // key of a pool was never retired: every other request failed with it. Its message also reached
  // the client as "The security token *** in the request is invalid."
  it('retires an API key Bedrock refuses with a 403, and keeps its message readable', async () => {
    const keyed = runtimeFor(row(emu, 'api_keys: [revoked-key-0000, bedrock-api-key-1]'));
    try {
      emu.handler = undefined;
      const first = await drain(backendOf(keyed, 'br').stream(call(), { model: MODEL, candidateKey: 'br:m' }));
      expect(first.error).to.equal(undefined);
      for (let i = 0; i < 3; i++) {
        const next = await drain(backendOf(keyed, 'br').stream(call(), { model: MODEL, candidateKey: 'br:m' }));
        expect(next.error, `call ${i + 2}`).to.equal(undefined);
      }
      // The refused key was tried once; every later call went with the other.
      expect(emu.requests.map((r) => r.headers.authorization)).to.deep.equal(['Bearer revoked-key-0000', ...Array(4).fill('Bearer bedrock-api-key-1')]);
      const alone = runtimeFor(row(emu, 'api_keys: [revoked-key-0000]'));
      try {
        const { error } = await drain(backendOf(alone, 'br').stream(call(), { model: MODEL, candidateKey: 'br:m' }));
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_NO_CREDENTIALS' });
        expect(error!.message).to.match(/every API key was rejected/);
      } finally {
        await alone.close();
      }
    } finally {
      await keyed.close();
    }
  });

  it('classifies Bedrock\'s refusals by their own words, Message or message', () => {
    const refused = classifyBedrockStatus('br', 403, '{"Message":"Authentication failed: Please make sure your API Key is valid."}', {}, undefined, []);
    expect(refused.message).to.equal('backend "br": upstream status 403: Authentication failed: Please make sure your API Key is valid.');
    expect(keyRefused(403, refused)).to.equal(true);
    const token = classifyBedrockStatus('br', 403, '{"message":"The security token included in the request is invalid."}', { 'x-amzn-errortype': 'UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, undefined, []);
    expect(token.message).to.equal('backend "br": upstream status 403: The security token included in the request is invalid.');
    expect(keyRefused(403, token)).to.equal(true);
    // A clock skew, a model not enabled: not the key's fault.
    const skew = classifyBedrockStatus('br', 403, '{"message":"Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z"}', { 'x-amzn-errortype': 'InvalidSignatureException:x' }, undefined, []);
    expect(keyRefused(403, skew)).to.equal(false);
    const access = classifyBedrockStatus('br', 403, '{"message":"You don\'t have access to the model with the specified model ID."}', { 'x-amzn-errortype': 'AccessDeniedException:x' }, undefined, []);
    expect(keyRefused(403, access)).to.equal(false);
  });

  it('resolves default-chain credentials per request through a memoised provider, with the session token signed', async () => {
    let built = 0;
    let asked = 0;
    const chain = async () => {
      built++;
      return async (): Promise<AwsCredentials> => {
        asked++;
        return { accessKeyId: EMULATOR_AWS.accessKeyId, secretAccessKey: EMULATOR_AWS.secretAccessKey, sessionToken: `token-${asked}` };
      };
    };
    const backend = bedrockBackend({ id: 'chain', kind: 'bedrock', models: [], base_endpoint: emu.origin, disable_https: true }, { env: {} }, BEDROCK_DEFAULTS, chain);
    try {
      for (let i = 0; i < 2; i++) expect((await drain(backend.stream(call(), { model: MODEL, candidateKey: 'chain:m' }))).error).to.equal(undefined);
      expect([built, asked]).to.deep.equal([1, 2]);
      expect(emu.requests.map((r) => r.headers['x-amz-security-token'])).to.deep.equal(['token-1', 'token-2']);
      expect(String(emu.requests[0]!.headers.authorization)).to.contain('x-amz-security-token');
      for (const r of emu.requests) expect(await verifyBedrockRequest(r)).to.equal(undefined);
    } finally {
      await backend.close?.();
    }
  });

  it('a chain without credentials fails the attempt as retryable LIP_ERR_UPSTREAM_NO_CREDENTIALS before any request', async () => {
    const chain = async () => async (): Promise<AwsCredentials> => { throw new Error('Could not load credentials from any providers'); };
    const backend = bedrockBackend({ id: 'none', kind: 'bedrock', models: [], base_endpoint: emu.origin, disable_https: true }, { env: {} }, BEDROCK_DEFAULTS, chain);
    try {
      const { error } = await drain(backend.stream(call(), { model: MODEL, candidateKey: 'none:m' }));
      expect([error?.code, error?.retryable]).to.deep.equal(['LIP_ERR_UPSTREAM_NO_CREDENTIALS', true]);
      expect(error?.message).to.contain('Could not load credentials');
      expect(emu.requests).to.have.length(0);
    } finally {
      await backend.close?.();
    }
  });

  it('an expired token drops the memoised chain, so the next request resolves afresh', async () => {
    let built = 0;
    const chain = async () => {
      built++;
      return async (): Promise<AwsCredentials> => ({ accessKeyId: EMULATOR_AWS.accessKeyId, secretAccessKey: EMULATOR_AWS.secretAccessKey });
    };
    const backend = bedrockBackend({ id: 'exp', kind: 'bedrock', models: [], base_endpoint: emu.origin, disable_https: true }, { env: {} }, BEDROCK_DEFAULTS, chain);
    try {
      emu.enqueue({ status: 403, error: { message: 'The security token included in the request is expired', type: 'ExpiredTokenException' } }, { text: 'ok' });
      expect((await drain(backend.stream(call(), { model: MODEL, candidateKey: 'exp:m' }))).error?.retryable).to.equal(true);
      expect((await drain(backend.stream(call(), { model: MODEL, candidateKey: 'exp:m' }))).error).to.equal(undefined);
      expect(built).to.equal(2);
    } finally {
      await backend.close?.();
    }
  });
  describe('embed (InvokeModel)', () => {
    const signal = () => new AbortController().signal;
    const embed = (model: string, inputs: string[], extra: { dimensions?: number; taskType?: string } = {}, abort = signal()) =>
      backendOf(runtime, 'br').embed!({ model: `br:${model}`, inputs, ...extra }, model, abort);

    it('Titan: one signed POST /model/{id}/invoke per text, one after the other, vectors in order and token counts added up', async () => {
      emu.enqueue({ usage: { input: 2, output: 0 } }, { usage: { input: 5, output: 0 } }, { usage: { input: 1, output: 0 } });
      const result = await embed('amazon.titan-embed-text-v2:0', ['alpha', 'beta', 'γ'], { dimensions: 256, taskType: 'RETRIEVAL_QUERY' });
      expect(result).to.deep.equal({ vectors: ['alpha', 'beta', 'γ'].map((t) => emulatedEmbedding(t, 256)), inputTokens: 8 });
      expect(emu.requests.map((r) => [r.method, r.path, r.route, r.model])).to.deep.equal(Array(3).fill(['POST', '/model/amazon.titan-embed-text-v2%3A0/invoke', 'embeddings', 'amazon.titan-embed-text-v2:0']));
      // The calls run side by side: they may arrive in any order.
      expect(emu.requests.map((r) => r.body).sort((a, b) => String(a.inputText).localeCompare(String(b.inputText)))).to.deep.equal(['alpha', 'beta', 'γ'].map((inputText) => ({ inputText, dimensions: 256 })));
      for (const r of emu.requests) {
        expect(String(r.headers.authorization)).to.match(/Credential=AKIDEMULATOR0000\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
        expect(await verifyBedrockRequest(r), 'the emulator recomputed the same signature').to.equal(undefined);
      }
    });

    it('Titan: at most four texts are in flight at once (stalled calls send no fifth); an abort ends them all', async () => {
      const texts = ['one', 'two', 'three', 'four', 'five', 'six'];
      emu.enqueue(...texts.map(() => ({ fault: { stall: 'before_headers' as const } })));
      const abort = new AbortController();
      const pending = embed('amazon.titan-embed-text-v1', texts, {}, abort.signal).catch((e: unknown) => e);
      while (emu.requests.length < 4) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      expect(emu.requests.map((r) => r.body.inputText).sort()).to.deep.equal(['four', 'one', 'three', 'two']);
      abort.abort();
      expect(await pending).to.be.instanceOf(Error);
    });

    it('Cohere: up to 96 texts per call with input_type from the task type, read as floats (v3) or by type (v4)', async () => {
      const inputs = Array.from({ length: 100 }, (_, i) => `text ${i}`);
      const v3 = await embed('cohere.embed-english-v3', inputs, { taskType: 'CLASSIFICATION' });
      expect(v3.vectors).to.deep.equal(inputs.map((t) => emulatedEmbedding(t)));
      expect(v3.inputTokens).to.equal(undefined); // Cohere on Bedrock reports none: the handler estimates
      expect(emu.requests.map((r) => [r.path, r.body.texts.length, r.body.input_type]).sort((a, b) => Number(b[1]) - Number(a[1]))).to.deep.equal([
        ['/model/cohere.embed-english-v3/invoke', 96, 'classification'], ['/model/cohere.embed-english-v3/invoke', 4, 'classification'],
      ]);
      emu.reset();
      const v4 = await embed('us.cohere.embed-v4:0', ['a', 'bb'], { dimensions: 1024 });
      expect(v4.vectors).to.deep.equal([emulatedEmbedding('a', 1024), emulatedEmbedding('bb', 1024)]);
      expect(emu.requests[0]!.path).to.equal('/model/us.cohere.embed-v4%3A0/invoke');
      expect(emu.requests[0]!.body).to.deep.equal({ texts: ['a', 'bb'], input_type: 'search_document', output_dimension: 1024 });
      expect(await verifyBedrockRequest(emu.requests[0]!)).to.equal(undefined);
    });

    it('refuses a model of no known family and a length the model cannot give before anything is sent', async () => {
      const unknown = await embed('amazon.nova-pro-v1:0', ['x']).catch((e: unknown) => e);
      expect(unknown).to.include({ code: 'LIP_ERR_EMBEDDINGS_UNSUPPORTED', status: 400, retryable: false });
      const length = await embed('cohere.embed-multilingual-v3', ['x'], { dimensions: 512 }).catch((e: unknown) => e);
      expect(length).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, param: 'dimensions' });
      expect(emu.requests).to.have.length(0);
    });

    it('an error answer is classified as for Converse: throttling retryable, a validation error not', async () => {
      emu.enqueue({ status: 429, error: { message: 'Too many requests' } }, { status: 400, error: { message: 'Malformed input request: expected maxLength: 2048' } });
      const throttled = await embed('cohere.embed-english-v3', ['x']).catch((e: unknown) => e);
      expect(throttled).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 429, retryable: true });
      const invalid = await embed('cohere.embed-english-v3', ['x']).catch((e: unknown) => e) as Error;
      expect(invalid).to.include({ status: 400, retryable: false });
      expect(invalid.message).to.contain('expected maxLength: 2048');
    });

    it('sends a Bedrock API key as a bearer token instead of signing', async () => {
      const keyed = runtimeFor(row(emu, 'api_key: bedrock-api-key-1'));
      try {
        const result = await backendOf(keyed, 'br').embed!({ model: 'br:e', inputs: ['k'] }, 'amazon.titan-embed-text-v2:0', signal());
        expect(result.vectors).to.deep.equal([emulatedEmbedding('k')]);
        expect(emu.requests[0]!.headers.authorization).to.equal('Bearer bedrock-api-key-1');
        expect(emu.requests[0]!.headers['x-amz-date']).to.equal(undefined);
      } finally {
        await keyed.close();
      }
    });

    it('an answer without one vector per text, or not of the model\'s shape, is LIP_ERR_UPSTREAM_MALFORMED', async () => {
      const answers: unknown[] = [{ embeddings: [[1, 2]], response_type: 'embeddings_floats' }, { embedding: [1, 2], inputTextTokenCount: 1 }, { embeddings: [[1], [Number.MAX_VALUE, 'x']] }];
      const upstream = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers.shift()));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const odd = runtimeFor(`  - { id: odd, kind: bedrock, base_endpoint: "http://127.0.0.1:${(upstream.address() as AddressInfo).port}", disable_https: true, api_key: bedrock-api-key-1 }`);
      try {
        for (let i = 0; i < 3; i++) {
          const err = await backendOf(odd, 'odd').embed!({ model: 'odd:e', inputs: ['a', 'b'] }, 'cohere.embed-english-v3', signal()).catch((e: unknown) => e) as Error;
          expect(err, `answer ${i}`).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
          expect(err.message).to.contain('the embeddings answer');
        }
      } finally {
        await odd.close();
        upstream.close();
      }
    });
  });
});
