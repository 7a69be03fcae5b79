import { expect } from 'chai';
import { LipError } from '../../../lib/errors/index.js';
import { openAIBatchRoutes as routes, openAIFileRoutes as files, readLines } from '../../../lib/frontends/openai-chat/batches.js';
import type { BatchFiles, BatchView } from '../../../lib/frontends/protocol.js';
import { refusal as refused } from '../../helpers/lip-errors.js';

type Json = Record<string, any>;

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const line = (customId: string, extra: Json = {}) => JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: chat, ...extra });
const inputs = (text: string): BatchFiles => ({ text: (id) => (id === 'file-in' ? Promise.resolve(text) : Promise.reject(new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', `no file with id ${id}`, { param: 'input_file_id' }))) });
const create = (extra: Json = {}) => ({ input_file_id: 'file-in', endpoint: '/v1/chat/completions', completion_window: '24h', ...extra });


const view = (over: Partial<BatchView> = {}): BatchView => ({
  id: 'batch_1', status: 'in_progress', counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, createdAt: 1_000_000, expiresAt: 87_400_000,
  endedAt: undefined, cancelInitiatedAt: undefined, total: 3, fields: { endpoint: '/v1/chat/completions', input_file_id: 'file-in', completion_window: '24h', metadata: { k: 'v' } },
  failed: undefined, usage: { input: 10, output: 5, cacheRead: 2, reasoning: 1 }, outputFileId: undefined, errorFileId: undefined, ...over,
});

/** OpenAI's Batch and Files APIs: create bodies, input lines, batch objects by state, result lines, uploads and list queries. */
describe('frontends/openai-chat/batches', () => {
  it('reads a create body and its input file into the requests, their endpoint and what the object shows', async () => {
    const prepared = await routes.prepare(create({ metadata: { team: 'a' }, output_expires_after: { anchor: 'created_at', seconds: 7200 } }), 10, inputs(`${line('a')}\n\n${line('b')}\n`));
    expect(prepared).to.deep.equal({
      requests: [{ customId: 'a', body: chat }, { customId: 'b', body: chat }], endpoint: '/v1/chat/completions',
      fields: { endpoint: '/v1/chat/completions', input_file_id: 'file-in', completion_window: '24h', metadata: { team: 'a' } }, resultsExpireAfterMs: 7_200_000,
    });
    const responses = await routes.prepare(create({ endpoint: '/v1/responses' }), 10, inputs(JSON.stringify({ custom_id: 'r', method: 'POST', url: '/v1/responses', body: { model: 'm', input: 'hi' } })));
    expect(responses).to.include({ endpoint: '/v1/responses' });
  });

  it('refuses a malformed create body, naming the field', async () => {
    const cases: [Json | unknown, string, string, string | undefined][] = [
      [[], 'LIP_ERR_REQUEST_INVALID', 'the body must be a JSON object', undefined],
      [create({ model: 'x' }), 'LIP_ERR_REQUEST_INVALID', 'model: Extra inputs are not permitted', 'model'],
      [{ endpoint: '/v1/chat/completions', completion_window: '24h' }, 'LIP_ERR_REQUEST_INVALID', 'input_file_id: Field required (the id of a file uploaded with purpose "batch")', 'input_file_id'],
      [create({ endpoint: undefined }), 'LIP_ERR_REQUEST_INVALID', 'endpoint: Field required', 'endpoint'],
      [create({ endpoint: '/v1/completions' }), 'LIP_ERR_REQUEST_UNSUPPORTED', 'endpoint: lip runs batches of /v1/chat/completions, /v1/responses, /v1/embeddings, not /v1/completions', 'endpoint'],
      [create({ completion_window: '1h' }), 'LIP_ERR_REQUEST_INVALID', 'completion_window: must be "24h"', 'completion_window'],
      [create({ metadata: [] }), 'LIP_ERR_REQUEST_INVALID', 'metadata: must be an object of strings', 'metadata'],
      [create({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), 'LIP_ERR_REQUEST_INVALID', 'metadata: at most 16 pairs (got 17)', 'metadata'],
      [create({ metadata: { k: 1 } }), 'LIP_ERR_REQUEST_INVALID', 'metadata.k: must be a string', 'metadata.k'],
      [create({ output_expires_after: { anchor: 'now', seconds: 7200 } }), 'LIP_ERR_REQUEST_INVALID', 'output_expires_after: must be {"anchor": "created_at", "seconds": N}', 'output_expires_after'],
      [create({ output_expires_after: { anchor: 'created_at', seconds: 60 } }), 'LIP_ERR_REQUEST_INVALID', 'output_expires_after.seconds: must be an integer from 3600 to 2592000', 'output_expires_after.seconds'],
      [create({ input_file_id: 'file-other' }), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 'no file with id file-other', 'input_file_id'],
    ];
    for (const [body, code, message, param] of cases) {
      expect(await refused(() => routes.prepare(JSON.parse(JSON.stringify(body)), 10, inputs(line('a')))), message).to.include({ code, message, param });
    }
  });

  it('fails a batch whose input file is not a valid batch, line by line, as OpenAI reports it', async () => {
    const text = [
      line('a'), 'not json', '[1]', line('b', { method: 'GET' }), line('c', { url: '/v1/responses' }), line('a'), line('', {}), line('d', { body: 'x' }), line('e', { header: {} }),
    ].join('\n');
    expect(await readLines(text, '/v1/chat/completions', 100)).to.deep.equal({
      errors: [
        { code: 'invalid_json_line', message: 'This line is not valid JSON.', param: null, line: 2 },
        { code: 'invalid_request', message: 'Each line must be a JSON object with custom_id, method, url and body.', param: null, line: 3 },
        { code: 'invalid_method', message: 'method must be "POST".', param: 'method', line: 4 },
        { code: 'mismatched_endpoint', message: "url must be the batch's endpoint, /v1/chat/completions.", param: 'url', line: 5 },
        { code: 'duplicate_custom_id', message: 'custom_id "a" is used by an earlier line; custom ids must be unique in a batch.', param: 'custom_id', line: 6 },
        { code: 'invalid_custom_id', message: 'custom_id must be a string of 1 to 512 characters.', param: 'custom_id', line: 7 },
        { code: 'invalid_body', message: 'body must be a JSON object (the request).', param: 'body', line: 8 },
        { code: 'invalid_request', message: 'Unknown field "header" (a line has custom_id, method, url and body).', param: 'header', line: 9 },
      ],
    });
    // Found by the attack-surface probe: a line past a request body's limits was parsed and run (a 500 result).
    const deep = line('b').replace('"body":{', `"body":{"metadata":${'['.repeat(50_000)}${']'.repeat(50_000)},`);
    expect(await readLines([line('a'), deep].join('\n'), '/v1/chat/completions', 10)).to.deep.equal({
      errors: [{ code: 'request_limit_exceeded', message: 'This line is not taken: request body limit exceeded: the JSON nests deeper than 128 levels (line 1, column 208).', param: null, line: 2 }],
    });
    expect(await readLines(`\uFEFF${line('a')}\n`, '/v1/chat/completions', 5)).to.deep.equal({ requests: [{ customId: 'a', body: chat }] });
    expect(await readLines('\n \n', '/v1/chat/completions', 5)).to.deep.equal({ errors: [{ code: 'empty_file', message: 'The input file holds no requests.', param: null, line: null }] });
    expect(await readLines([line('a'), line('b'), line('c')].join('\n'), '/v1/chat/completions', 2)).to.deep.equal({
      errors: [{ code: 'too_many_requests', message: 'The input file holds 3 requests; a batch holds at most 2 on this server (server.max_batch_requests).', param: null, line: null }],
    });
  });

  it('reads a large input file in slices, the event loop turning between them (found by the batches probe: 100,000 lines blocked it for seconds)', async () => {
    let turns = 0;
    let reading = true;
    const turn = () => {
      turns++;
      if (reading) setImmediate(turn);
    };
    setImmediate(turn);
    const read = await readLines(Array.from({ length: 5_000 }, (_, i) => line(`r${i}`)).join('\n'), '/v1/chat/completions', 5_000);
    reading = false;
    expect('requests' in read && read.requests.length).to.equal(5_000);
    // A slice is at most a thousand lines: the loop turned at least once after each of the first four.
    expect(turns).to.be.at.least(4);
  });

  it('makes a batch failed (not a refused create) when its input file is invalid', async () => {
    const prepared = await routes.prepare(create(), 10, inputs('nope'));
    expect(prepared.requests).to.deep.equal([]);
    expect(prepared.failed).to.deep.equal([{ code: 'invalid_json_line', message: 'This line is not valid JSON.', param: null, line: 1 }]);
    const object = routes.object(view({ status: 'ended', failed: prepared.failed, total: 0, endedAt: 1_000_000, counts: { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 } }), '') as Json;
    expect(object).to.include({ status: 'failed', failed_at: 1000, in_progress_at: null, completed_at: null });
    expect(object.errors).to.deep.equal({ object: 'list', data: prepared.failed });
  });

  it("writes the batch object in each of OpenAI's states", () => {
    const running = routes.object(view(), 'unused') as Json;
    expect(running).to.deep.equal({
      id: 'batch_1', object: 'batch', endpoint: '/v1/chat/completions', model: null, errors: null, input_file_id: 'file-in', completion_window: '24h', status: 'in_progress',
      output_file_id: null, error_file_id: null, created_at: 1000, in_progress_at: 1000, expires_at: 87_400, finalizing_at: null, completed_at: null, failed_at: null,
      expired_at: null, cancelling_at: null, cancelled_at: null, request_counts: { total: 3, completed: 0, failed: 0 },
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 15 },
      metadata: { k: 'v' },
    });
    const counts = { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 };
    const done = routes.object(view({ status: 'ended', endedAt: 5_000_000, counts, outputFileId: 'file-o', errorFileId: 'file-e' }), '') as Json;
    expect(done).to.include({ status: 'completed', completed_at: 5000, finalizing_at: 5000, output_file_id: 'file-o', error_file_id: 'file-e' });
    expect(done.request_counts).to.deep.equal({ total: 3, completed: 2, failed: 1 });
    expect(routes.object(view({ status: 'canceling', cancelInitiatedAt: 2_000_000 }), '')).to.include({ status: 'cancelling', cancelling_at: 2000, cancelled_at: null });
    expect(routes.object(view({ status: 'ended', cancelInitiatedAt: 2_000_000, endedAt: 3_000_000 }), '')).to.include({ status: 'cancelled', cancelled_at: 3000, completed_at: null });
    expect(routes.object(view({ status: 'ended', endedAt: 3_000_000, counts: { ...counts, expired: 1 } }), '')).to.include({ status: 'expired', expired_at: 3000 });
  });

  it('writes the lines of the output and error files', () => {
    const ok = routes.result('a', { type: 'succeeded', body: { id: 'chatcmpl-1' }, requestId: 'req-a' }, {}) as Json;
    expect(ok.id).to.match(/^batch_req_[A-Za-z0-9]{32}$/);
    expect(ok).to.deep.include({ custom_id: 'a', response: { status_code: 200, request_id: 'req-a', body: { id: 'chatcmpl-1' } }, error: null });
    expect(routes.result('b', { type: 'errored', body: { error: { message: 'x' } }, status: 429, requestId: 'req-b' }, {})).to.deep.include({
      custom_id: 'b', response: { status_code: 429, request_id: 'req-b', body: { error: { message: 'x' } } }, error: null,
    });
    expect((routes.result('c', { type: 'canceled' }, {}) as Json).error.code).to.equal('batch_cancelled');
    expect(routes.result('d', { type: 'expired' }, {})).to.deep.include({ custom_id: 'd', response: null });
    expect((routes.result('d', { type: 'expired' }, {}) as Json).error.code).to.equal('batch_expired');
    // One that was running when the batch was cancelled or ended ran (its upstream call was made): it does not say it was not run.
    expect((routes.result('e', { type: 'canceled', interrupted: true }, {}) as Json).error).to.deep.equal({
      code: 'batch_cancelled', message: 'This request was running when the batch was cancelled: it was stopped before it was answered.',
    });
    expect((routes.result('f', { type: 'expired', interrupted: true }, {}) as Json).error).to.deep.equal({
      code: 'batch_expired', message: 'This request was running when the batch ended (its completion window, or the instance running it, ended): it was stopped before it was answered.',
    });
  });

  it('reads uploads: a purpose lip keeps, a file part, an expiry from an hour to 30 days, the media type of bytes', async () => {
    const file = { name: 'in.jsonl', bytes: new Uint8Array([1]) };
    expect(files.upload({ fields: { purpose: 'batch' }, file })).to.deep.equal({ purpose: 'batch', filename: 'in.jsonl', text: true, mediaType: 'application/jsonl' });
    expect(files.upload({ fields: { purpose: 'batch', 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '3600' }, file })).to.deep.include({ purpose: 'batch', filename: 'in.jsonl', expiresAfterMs: 3_600_000 });
    expect(files.upload({ fields: { purpose: 'batch' }, file: { name: '', bytes: file.bytes } }).filename).to.equal('upload.jsonl');
    // Files that requests name by id keep their bytes, with a media type from the part or the name.
    expect(files.upload({ fields: { purpose: 'user_data' }, file: { name: 'r.PDF', bytes: file.bytes } })).to.deep.equal({ purpose: 'user_data', filename: 'r.PDF', text: false, mediaType: 'application/pdf' });
    expect(files.upload({ fields: { purpose: 'vision' }, file: { name: 'x', bytes: file.bytes, type: 'image/webp; q=1' } })).to.deep.include({ mediaType: 'image/webp', text: false });
    expect(files.upload({ fields: { purpose: 'assistants' }, file: { name: 'a.bin', bytes: file.bytes, type: 'application/octet-stream' } })).to.deep.include({ mediaType: 'application/octet-stream' });
    expect(files.upload({ fields: { purpose: 'user_data' }, file: { name: '', bytes: file.bytes } }).filename).to.equal('upload');
    const cases: [Json, typeof file | undefined, string, string][] = [
      [{}, file, 'purpose: Field required', 'purpose'],
      [{ purpose: 'fine-tune' }, file, 'purpose: lip keeps files of purpose batch, user_data, assistants or vision, not "fine-tune"', 'purpose'],
      [{ purpose: 'batch' }, undefined, 'file: Field required (a file part named "file")', 'file'],
      [{ purpose: 'batch', extra: 'x' }, file, 'extra: Extra inputs are not permitted', 'extra'],
      [{ purpose: 'batch', 'expires_after[anchor]': 'now', 'expires_after[seconds]': '3600' }, file, 'expires_after[anchor]: must be "created_at"', 'expires_after[anchor]'],
      [{ purpose: 'batch', 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '59' }, file, 'expires_after[seconds]: must be an integer from 3600 to 2592000', 'expires_after[seconds]'],
      [{ purpose: 'batch', 'expires_after[anchor]': 'created_at' }, file, 'expires_after[seconds]: must be an integer from 3600 to 2592000', 'expires_after[seconds]'],
    ];
    for (const [fields, f, message, param] of cases) expect(await refused(() => files.upload({ fields, file: f })), message).to.include({ message, param });
    expect(files.object({ id: 'file-1', filename: 'a', purpose: 'batch', bytes: 3, createdAt: 2_000, expiresAt: 9_000 })).to.deep.equal({
      id: 'file-1', object: 'file', bytes: 3, created_at: 2, expires_at: 9, filename: 'a', purpose: 'batch', status: 'processed', status_details: null,
    });
  });

  it('reads list queries of batches and files', async () => {
    expect(routes.listQuery(new URLSearchParams())).to.deep.equal({ limit: 20 });
    expect(routes.listQuery(new URLSearchParams('limit=100&after=batch_x'))).to.deep.equal({ limit: 100, afterId: 'batch_x' });
    expect(await refused(() => routes.listQuery(new URLSearchParams('limit=101')))).to.include({ message: 'limit: must be an integer from 1 to 100', param: 'limit' });
    expect(files.listQuery(new URLSearchParams())).to.deep.equal({ limit: 10_000, order: 'desc' });
    expect(files.listQuery(new URLSearchParams('limit=5&order=asc&after=file-1&purpose=batch'))).to.deep.equal({ limit: 5, order: 'asc', afterId: 'file-1', purpose: 'batch' });
    expect(await refused(() => files.listQuery(new URLSearchParams('order=up')))).to.include({ message: 'order: must be "asc" or "desc"', param: 'order' });
    expect(routes.list([{ id: 'a' }], 'a', 'a', false)).to.deep.equal({ object: 'list', data: [{ id: 'a' }], first_id: 'a', last_id: 'a', has_more: false });
    expect(files.deleted('file-1')).to.deep.equal({ id: 'file-1', object: 'file', deleted: true });
  });
});
