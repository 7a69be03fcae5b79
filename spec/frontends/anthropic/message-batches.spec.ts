import { expect } from 'chai';
import { anthropicBatchRequests, anthropicBatchRoutes as routes } from '../../../lib/frontends/anthropic/message-batches.js';
import { refusal as refused } from '../../helpers/lip-errors.js';

const params = { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] };

/** The shapes of Anthropic's Message Batches: the create body, the batch object, list queries and pages, result lines. */
describe('frontends/anthropic/message-batches', () => {
  it('reads the requests of a create body: custom ids and params, in order, run by /v1/messages', async () => {
    expect(await routes.prepare({ requests: [{ custom_id: 'a', params }] }, 5, undefined)).to.deep.equal({ requests: [{ customId: 'a', body: params }], endpoint: '/v1/messages' });
    const body = { requests: [{ custom_id: 'a-1', params }, { custom_id: 'B_2', params: { ...params, stream: true } }], workspace_id: 'w' };
    expect(anthropicBatchRequests(body, 10)).to.deep.equal([{ customId: 'a-1', body: params }, { customId: 'B_2', body: { ...params, stream: true } }]);
    // Params are not checked here: a malformed one is an errored result when it runs.
    expect(anthropicBatchRequests({ requests: [{ custom_id: 'x', params: {} }] }, 1)).to.deep.equal([{ customId: 'x', body: {} }]);
  });

  it('refuses a malformed create body, naming the field', async () => {
    const cases: [unknown, string, string | undefined][] = [
      [[], 'the body must be a JSON object', undefined],
      [{}, 'requests: Field required', 'requests'],
      [{ requests: {} }, 'requests: must be an array', 'requests'],
      [{ requests: [] }, 'requests: must hold at least one request', 'requests'],
      [{ requests: [{ custom_id: 'a', params }], model: 'x' }, 'model: Extra inputs are not permitted', 'model'],
      [{ requests: [1] }, 'requests[0]: must be an object with custom_id and params', 'requests[0]'],
      [{ requests: [{ custom_id: 'a', params, method: 'POST' }] }, 'requests[0].method: Extra inputs are not permitted', 'requests[0].method'],
      [{ requests: [{ custom_id: 'a b', params }] }, 'requests[0].custom_id: must be 1 to 64 letters, digits, underscores or hyphens', 'requests[0].custom_id'],
      [{ requests: [{ custom_id: 'x'.repeat(65), params }] }, 'requests[0].custom_id: must be 1 to 64 letters, digits, underscores or hyphens', 'requests[0].custom_id'],
      [{ requests: [{ custom_id: '', params }] }, 'requests[0].custom_id: must be 1 to 64 letters, digits, underscores or hyphens', 'requests[0].custom_id'],
      [{ requests: [{ params }] }, 'requests[0].custom_id: must be 1 to 64 letters, digits, underscores or hyphens', 'requests[0].custom_id'],
      [{ requests: [{ custom_id: 'a', params }, { custom_id: 'a', params }] }, 'requests[1].custom_id: "a" is used by an earlier request of the batch; custom ids must be unique', 'requests[1].custom_id'],
      [{ requests: [{ custom_id: 'a', params: [] }] }, 'requests[0].params: must be a Messages request object', 'requests[0].params'],
      [{ requests: [{ custom_id: 'a' }] }, 'requests[0].params: must be a Messages request object', 'requests[0].params'],
    ];
    for (const [body, message, param] of cases) {
      expect(await refused(() => anthropicBatchRequests(body, 10)), message).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, message, param });
    }
    expect(await refused(() => anthropicBatchRequests({ requests: [{ custom_id: 'a', params }, { custom_id: 'b', params }] }, 1))).to.include({
      code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', param: 'requests', message: 'requests: a batch holds at most 1 requests on this server (server.max_batch_requests); this one has 2',
    });
  });

  it('writes the batch object, with the results URL once it ended', () => {
    const view = { id: 'msgbatch_1', status: 'in_progress' as const, counts: { processing: 2, succeeded: 1, errored: 0, canceled: 0, expired: 0 }, createdAt: Date.UTC(2026, 0, 1), expiresAt: Date.UTC(2026, 0, 2), endedAt: undefined, cancelInitiatedAt: undefined,
      total: 3, fields: {}, failed: undefined, usage: { input: 0, output: 0, cacheRead: 0, reasoning: 0 }, outputFileId: undefined, errorFileId: undefined };
    expect(routes.object(view, 'http://h/r')).to.deep.equal({
      id: 'msgbatch_1', type: 'message_batch', processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 1, errored: 0, canceled: 0, expired: 0 },
      ended_at: null, created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-02T00:00:00.000Z', archived_at: null, cancel_initiated_at: null, results_url: null,
    });
    const ended = routes.object({ ...view, status: 'ended', endedAt: Date.UTC(2026, 0, 1, 1), cancelInitiatedAt: Date.UTC(2026, 0, 1, 0, 30) }, 'http://h/r') as Record<string, unknown>;
    expect(ended).to.include({ processing_status: 'ended', ended_at: '2026-01-01T01:00:00.000Z', cancel_initiated_at: '2026-01-01T00:30:00.000Z', results_url: 'http://h/r' });
  });

  it('reads list queries and writes pages', async () => {
    expect(routes.listQuery(new URLSearchParams())).to.deep.equal({ limit: 20 });
    expect(routes.listQuery(new URLSearchParams('limit=1000&after_id=x'))).to.deep.equal({ limit: 1000, afterId: 'x' });
    expect(routes.listQuery(new URLSearchParams('limit=1&before_id=y'))).to.deep.equal({ limit: 1, beforeId: 'y' });
    for (const q of ['limit=0', 'limit=1001', 'limit=-1', 'limit=1.5', 'limit=', 'limit=abc']) {
      expect(await refused(() => routes.listQuery(new URLSearchParams(q))), q).to.include({ param: 'limit', message: 'limit: must be an integer from 1 to 1000' });
    }
    expect(await refused(() => routes.listQuery(new URLSearchParams('before_id=a&after_id=b')))).to.include({ param: 'before_id' });
    expect(routes.list([{ id: 'a' }], 'a', 'a', true)).to.deep.equal({ data: [{ id: 'a' }], has_more: true, first_id: 'a', last_id: 'a' });
    expect(routes.list([], undefined, undefined, false)).to.deep.equal({ data: [], has_more: false, first_id: null, last_id: null });
    expect(routes.deleted!('msgbatch_1')).to.deep.equal({ id: 'msgbatch_1', type: 'message_batch_deleted' });
  });

  it('writes result lines of each outcome', () => {
    expect(routes.result('a', { type: 'succeeded', body: { id: 'msg_1' }, requestId: 'r' }, {})).to.deep.equal({ custom_id: 'a', result: { type: 'succeeded', message: { id: 'msg_1' } } });
    expect(routes.result('b', { type: 'errored', body: { type: 'error' }, status: 400, requestId: 'r' }, {})).to.deep.equal({ custom_id: 'b', result: { type: 'errored', error: { type: 'error' } } });
    expect(routes.result('c', { type: 'canceled' }, {})).to.deep.equal({ custom_id: 'c', result: { type: 'canceled' } });
    expect(routes.result('d', { type: 'expired' }, {})).to.deep.equal({ custom_id: 'd', result: { type: 'expired' } });
  });
});
