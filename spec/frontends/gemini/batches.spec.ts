import { expect } from 'chai';
import { geminiBatchRoutes as routes } from '../../../lib/frontends/gemini/batches.js';
import type { BatchView } from '../../../lib/frontends/protocol.js';
import { refusal } from '../../helpers/lip-errors.js';

type Json = Record<string, any>;

const request = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });
const create = (requests: unknown[], extra: Json = {}) => ({ batch: { displayName: 'nightly', inputConfig: { requests: { requests } }, ...extra } });
const view = (over: Partial<BatchView> = {}): BatchView => ({
  id: 'abc', status: 'in_progress', counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, createdAt: Date.UTC(2026, 0, 1), expiresAt: Date.UTC(2026, 0, 2),
  endedAt: undefined, cancelInitiatedAt: undefined, total: 2, fields: { model: 'gemini-2.5-flash', displayName: 'nightly' }, failed: undefined,
  usage: { input: 0, output: 0, cacheRead: 0, reasoning: 0 }, outputFileId: undefined, errorFileId: undefined, ...over,
});

/** Gemini's Batch API: the create path and body, the batch as an operation by state, its inlined responses, list pages. */
describe('frontends/gemini/batches', () => {
  it('takes the model from the create path, under v1beta, v1beta1 and v1', () => {
    expect(routes.createMatch!('/v1beta/models/gemini-2.5-flash:batchGenerateContent')).to.deep.equal({ model: 'gemini-2.5-flash' });
    expect(routes.createMatch!('/v1/models/oc%3Agpt-4o:batchGenerateContent')).to.deep.equal({ model: 'oc:gpt-4o' });
    expect(routes.createMatch!('/v1beta/models/m:generateContent')).to.equal(undefined);
    expect(routes.createMatch!('/v1beta/models/text-embedding-004:asyncBatchEmbedContent')).to.deep.equal({ model: 'text-embedding-004', embed: 'true' });
    expect(routes.createMatch!('/v1beta/models/m:batchEmbedContents')).to.equal(undefined);
  });

  it('a batch of embeddings runs each request by :embedContent and is an EmbedContentBatch', async () => {
    const prepared = await routes.prepare({ batch: { inputConfig: { requests: { requests: [{ request: { model: 'models/x', content: { parts: [{ text: 'a' }] }, outputDimensionality: 3 } }] } } } }, 10, undefined, { model: 'oc:e', embed: 'true' });
    expect(prepared).to.deep.equal({
      requests: [{ customId: 'null', body: { content: { parts: [{ text: 'a' }] }, outputDimensionality: 3 }, key: '1' }],
      endpoint: '/v1beta/models/oc%3Ae:embedContent', fields: { model: 'oc:e', kind: 'embed' },
    });
    const object = routes.object(view({ fields: prepared.fields! }), '') as Json;
    expect(object.metadata['@type']).to.equal('type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatch');
  });

  it('reads inlined requests (camelCase or snake_case), their metadata kept as the custom id, each keyed by its position, their own model dropped; run by :generateContent', async () => {
    const prepared = await routes.prepare({ batch: { display_name: 'snake', input_config: { requests: { requests: [
      { request: { model: 'models/m', ...request('a') }, metadata: { key: 'first', n: 1 } },
      { request: request('b') },
    ] } } } }, 10, undefined, { model: 'oc:gpt-4o' });
    expect(prepared).to.deep.equal({
      requests: [{ customId: '{"key":"first","n":1}', body: request('a'), key: '1' }, { customId: 'null', body: request('b'), key: '2' }],
      endpoint: '/v1beta/models/oc%3Agpt-4o:generateContent', fields: { model: 'oc:gpt-4o', displayName: 'snake' },
    });
  });

  it('refuses a malformed create, naming the field', async () => {
    const cases: [unknown, string, string, string | undefined][] = [
      [[], 'LIP_ERR_REQUEST_INVALID', 'the body: must be an object', undefined],
      [{ batch: {} }, 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig: required', 'batch.inputConfig'],
      [{ batch: { inputConfig: { fileName: 'files/x' } } }, 'LIP_ERR_REQUEST_UNSUPPORTED', 'batch.inputConfig.fileName: this server keeps no files', 'batch.inputConfig.fileName'],
      [{ batch: { inputConfig: { fileName: 7 } } }, 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig.fileName: must be the name of an uploaded file (files/...)', 'batch.inputConfig.fileName'],
      [{ batch: { inputConfig: {} } }, 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig.requests: required', 'batch.inputConfig.requests'],
      [create([]), 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig.requests.requests: must be a non-empty array of {request, metadata}', 'batch.inputConfig.requests.requests'],
      [create([1]), 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig.requests.requests[0]: must be an object', 'batch.inputConfig.requests.requests[0]'],
      [create([{ metadata: {} }]), 'LIP_ERR_REQUEST_INVALID', 'batch.inputConfig.requests.requests[0].request: required', 'batch.inputConfig.requests.requests[0].request'],
      [create([{ request: request('a') }], { displayName: 'x'.repeat(129) }), 'LIP_ERR_REQUEST_INVALID', 'batch.displayName: must be a string of at most 128 characters', 'batch.displayName'],
      [create([{ request: request('a') }, { request: request('b') }, { request: request('c') }]), 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', 'batch.inputConfig.requests.requests: a batch holds at most 2 requests on this server (server.max_batch_requests); this one has 3', 'batch.inputConfig.requests.requests'],
    ];
    for (const [body, code, message, param] of cases) {
      expect(await refusal(() => routes.prepare(body, 2, undefined, { model: 'm' })), message).to.include({ code, message, param });
    }
  });

  it('answers the batch as an operation: running, then done with its responses inline', () => {
    expect(routes.object(view(), '')).to.deep.equal({
      name: 'batches/abc',
      metadata: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch', model: 'models/gemini-2.5-flash', displayName: 'nightly', name: 'batches/abc',
        createTime: '2026-01-01T00:00:00.000Z', updateTime: '2026-01-01T00:00:00.000Z',
        batchStats: { requestCount: '2', successfulRequestCount: '0', failedRequestCount: '0', pendingRequestCount: '2' }, state: 'BATCH_STATE_RUNNING',
      },
    });
    const counts = { processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 0 };
    const lines = [{ response: { candidates: [] } }, { error: { code: 400 } }];
    const done = routes.object(view({ status: 'ended', endedAt: Date.UTC(2026, 0, 1, 1), counts }), '', lines) as Json;
    expect(done.done).to.equal(true);
    expect(done.metadata).to.deep.include({ state: 'BATCH_STATE_SUCCEEDED', endTime: '2026-01-01T01:00:00.000Z', updateTime: '2026-01-01T01:00:00.000Z', output: { inlinedResponses: { inlinedResponses: lines } } });
    expect(done.metadata.batchStats).to.deep.equal({ requestCount: '2', successfulRequestCount: '1', failedRequestCount: '1', pendingRequestCount: '0' });
    expect(done.response).to.deep.equal({ '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput', inlinedResponses: { inlinedResponses: lines } });
    expect((routes.object(view({ status: 'ended', endedAt: 1, cancelInitiatedAt: 1 }), '') as Json).metadata.state).to.equal('BATCH_STATE_CANCELLED');
    expect((routes.object(view({ status: 'ended', endedAt: 1, counts: { ...counts, expired: 1 } }), '') as Json).metadata.state).to.equal('BATCH_STATE_EXPIRED');
    expect((routes.object(view({ status: 'canceling', cancelInitiatedAt: 1 }), '') as Json).metadata.state).to.equal('BATCH_STATE_RUNNING');
    expect(routes.cancelled!(view())).to.deep.equal({});
    expect(routes.deleted!('abc')).to.deep.equal({});
  });

  it('writes inlined responses with their metadata, and errors as google.rpc.Status objects', () => {
    expect(routes.result('{"key":"a"}', { type: 'succeeded', body: { candidates: [] }, requestId: 'r' }, {})).to.deep.equal({ response: { candidates: [] }, metadata: { key: 'a' } });
    // Errors are google.rpc.Status objects: gRPC codes, not HTTP statuses.
    expect(routes.result('null', { type: 'errored', body: { error: { code: 429, message: 'm', status: 'RESOURCE_EXHAUSTED', details: [{ reason: 'x' }] } }, status: 429, requestId: 'r' }, {})).to.deep.equal({ error: { code: 8, message: 'm', details: [{ reason: 'x' }] } });
    expect(routes.result('null', { type: 'errored', body: { error: { message: 'bad' } }, status: 400, requestId: 'r' }, {})).to.deep.equal({ error: { code: 3, message: 'bad' } });
    expect(routes.result('null', { type: 'errored', body: {}, status: 502, requestId: 'r' }, {})).to.deep.equal({ error: { code: 13, message: 'INTERNAL' } });
    expect(routes.result('null', { type: 'canceled' }, {})).to.deep.equal({ error: { code: 1, message: 'the batch was cancelled before this request ran' } });
    expect(routes.result('null', { type: 'canceled', interrupted: true }, {})).to.deep.equal({ error: { code: 1, message: 'the batch was cancelled while this request ran: it was stopped before it was answered' } });
    expect(routes.result('null', { type: 'expired', interrupted: true }, {})).to.deep.equal({
      error: { code: 4, message: 'the batch ended while this request ran (its day, or the instance running it, ended): it was stopped before it was answered' },
    });
    expect((routes.result('{"k":1}', { type: 'expired' }, {}) as Json)).to.deep.include({ metadata: { k: 1 } });
    expect((routes.result('{"k":1}', { type: 'expired' }, {}) as Json).error.code).to.equal(4);
  });

  it('reads an input file of JSON lines: keys kept, blank lines skipped, a keyless line keyed by its number; a bad line named by its number', async () => {
    const file = (text: string) => ({ text: async (name: string, param: string) => (name === 'files/in' ? text : Promise.reject(new Error(`${param}: ${name}`))) });
    const lines = [JSON.stringify({ key: 'first', request: { model: 'models/x', ...request('a') } }), '', JSON.stringify({ request: request('b') }), ''].join('\n');
    const prepared = await routes.prepare({ batch: { input_config: { file_name: 'files/in' } } }, 10, file(lines), { model: 'oc:gpt-4o' });
    expect(prepared).to.deep.equal({
      requests: [{ customId: 'first', body: request('a') }, { customId: '3', body: request('b') }],
      endpoint: '/v1beta/models/oc%3Agpt-4o:generateContent', fields: { model: 'oc:gpt-4o', source: 'file' },
    });
    const bad = (text: string, max = 10) => refusal(() => routes.prepare({ batch: { inputConfig: { fileName: 'files/in' } } }, max, file(text), { model: 'm' }));
    expect(await bad(`${lines}\n{nope`)).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'batch.inputConfig.fileName (files/in), line 5: not JSON', param: 'batch.inputConfig.fileName' });
    // Found by the attack-surface probe: a line past a request body's limits was parsed and run (a 500 result).
    expect(await bad(`{"key": "deep", "request": {"contents": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}`)).to.include({
      code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'batch.inputConfig.fileName',
      message: 'batch.inputConfig.fileName (files/in), line 1: request body limit exceeded: the JSON nests deeper than 128 levels (line 1, column 167)',
    });
    expect((await bad('{"key": 1, "request": {}}')).message).to.equal('batch.inputConfig.fileName (files/in), line 1: key must be a string');
    expect((await bad('{"key": "a"}')).message).to.equal('batch.inputConfig.fileName (files/in), line 1: request must be an object (a GenerateContentRequest)');
    expect((await bad('[]')).message).to.contain('line 1: must be an object');
    expect((await bad('\n\n')).message).to.equal('batch.inputConfig.fileName: files/in holds no requests');
    expect(await bad(lines, 1)).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', message: 'batch.inputConfig.fileName: a batch holds at most 1 requests on this server (server.max_batch_requests); this one has 2 or more' });
  });

  it('a batch of an input file ends with a responses file (its lines keyed as the input\'s), not inline responses', () => {
    const fields = { model: 'gemini-2.5-flash', source: 'file' };
    const ended = view({ status: 'ended', endedAt: Date.UTC(2026, 0, 1, 1), fields, counts: { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 } });
    expect(routes.inlineResults!(ended)).to.equal(false);
    expect(routes.inlineResults!(view({ status: 'ended' }))).to.equal(true);
    const object = routes.object(ended, '') as Json;
    expect(object.metadata.output).to.deep.equal({ responsesFile: 'files/batch-abc' });
    expect(object.response).to.deep.equal({ '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput', responsesFile: 'files/batch-abc' });
    expect((routes.object(view({ fields }), '') as Json).metadata.output).to.equal(undefined);
    expect(routes.result('first', { type: 'succeeded', body: { candidates: [] }, requestId: 'r' }, fields)).to.deep.equal({ response: { candidates: [] }, key: 'first' });
    expect(routes.result('3', { type: 'canceled' }, fields)).to.deep.equal({ error: { code: 1, message: 'the batch was cancelled before this request ran' }, key: '3' });
  });

  it('reads list queries and writes pages', async () => {
    expect(routes.listQuery(new URLSearchParams())).to.deep.equal({ limit: 50 });
    expect(routes.listQuery(new URLSearchParams('pageSize=5000&pageToken=abc'))).to.deep.equal({ limit: 1000, afterId: 'abc' });
    expect(await refusal(() => routes.listQuery(new URLSearchParams('pageSize=0')))).to.include({ param: 'pageSize' });
    expect(routes.list([{ name: 'batches/a' }], 'a', 'a', true)).to.deep.equal({ operations: [{ name: 'batches/a' }], nextPageToken: 'a' });
    expect(routes.list([], undefined, undefined, false)).to.deep.equal({ operations: [] });
  });
});
