import { LipError } from '../../errors/index.js';
import type { BatchOutcome, BatchRequest, BatchRoutes, BatchView, PreparedBatch } from '../protocol.js';
import { anthropicFileRoutes } from './files.js';

/** Anthropic's custom ids: 1 to 64 of letters, digits, `_` and `-`. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1_000;
/** The fields of a create body lip reads (the workspace fields of Anthropic's organisations are read and ignored). */
const CREATE_FIELDS = new Set(['requests', 'workspace_id', 'user_profile_id']);

/**
 * Anthropic's Message Batches (`/v1/messages/batches`, the SDK's `messages.batches` and
 * `beta.messages.batches`): the shapes of the create body, the batch object, the list page and
 * the results' lines. Each request's `params` is a Messages request, checked when it runs (as
 * Anthropic does: a malformed one is an `errored` result, not a refused batch).
 * @see spec/frontends/anthropic/message-batches.spec.ts
 */
export const anthropicBatchRoutes: BatchRoutes = {
  path: '/v1/messages/batches',
  idPrefix: 'msgbatch_',
  idParam: 'message_batch_id',
  cancelSuffix: '/cancel',
  resultsContentType: 'application/x-jsonl',
  // Anthropic's Files API (its content blocks name files by id); a batch's results are no files.
  files: anthropicFileRoutes,

  prepare(body: unknown, maxRequests: number): Promise<PreparedBatch> {
    return Promise.resolve({ requests: anthropicBatchRequests(body, maxRequests), endpoint: '/v1/messages' });
  },

  object(batch: BatchView, resultsUrl: string): unknown {
    const c = batch.counts;
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: batch.status,
      request_counts: { processing: c.processing, succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired },
      ended_at: rfc3339(batch.endedAt),
      created_at: rfc3339(batch.createdAt),
      expires_at: rfc3339(batch.expiresAt),
      archived_at: null,
      cancel_initiated_at: rfc3339(batch.cancelInitiatedAt),
      results_url: batch.status === 'ended' ? resultsUrl : null,
    };
  },

  listQuery(query: URLSearchParams) {
    const raw = query.get('limit');
    let limit = DEFAULT_LIMIT;
    if (raw !== null) {
      limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIMIT)) throw invalid(`limit: must be an integer from 1 to ${MAX_LIMIT}`, 'limit');
    }
    const beforeId = query.get('before_id') ?? undefined;
    const afterId = query.get('after_id') ?? undefined;
    if (beforeId !== undefined && afterId !== undefined) throw invalid('before_id and after_id cannot both be given', 'before_id');
    return { limit, ...(beforeId !== undefined ? { beforeId } : {}), ...(afterId !== undefined ? { afterId } : {}) };
  },

  list(objects: readonly unknown[], firstId: string | undefined, lastId: string | undefined, hasMore: boolean): unknown {
    return { data: objects, has_more: hasMore, first_id: firstId ?? null, last_id: lastId ?? null };
  },

  deleted(id: string): unknown {
    return { id, type: 'message_batch_deleted' };
  },

  result(customId: string, outcome: BatchOutcome): unknown {
    switch (outcome.type) {
      case 'succeeded': return { custom_id: customId, result: { type: 'succeeded', message: outcome.body } };
      case 'errored': return { custom_id: customId, result: { type: 'errored', error: outcome.body } };
      default: return { custom_id: customId, result: { type: outcome.type } };
    }
  },
};

/** The requests of a create body (at most `maxRequests`, custom ids unique); `params` as sent. */
export function anthropicBatchRequests(body: unknown, maxRequests: number): readonly BatchRequest[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', undefined);
  for (const key of Object.keys(body)) {
    if (!CREATE_FIELDS.has(key)) throw invalid(`${key}: Extra inputs are not permitted`, key);
}
  const requests = (body as { requests?: unknown }).requests;
  if (!Array.isArray(requests)) throw invalid(requests === undefined ? 'requests: Field required' : 'requests: must be an array', 'requests');
  if (requests.length === 0) throw invalid('requests: must hold at least one request', 'requests');
  if (requests.length > maxRequests) {
    throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `requests: a batch holds at most ${maxRequests} requests on this server (server.max_batch_requests); this one has ${requests.length}`, { param: 'requests' });
}
  const seen = new Set<string>();
  return requests.map((r: unknown, i) => {
    const at = `requests[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw invalid(`${at}: must be an object with custom_id and params`, at);
    for (const key of Object.keys(r)) {
      if (key !== 'custom_id' && key !== 'params') throw invalid(`${at}.${key}: Extra inputs are not permitted`, `${at}.${key}`);
    }
    const { custom_id: customId, params } = r as { custom_id?: unknown; params?: unknown };
    if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
      throw invalid(`${at}.custom_id: must be 1 to 64 letters, digits, underscores or hyphens`, `${at}.custom_id`);
    }
    if (seen.has(customId)) throw invalid(`${at}.custom_id: "${customId}" is used by an earlier request of the batch; custom ids must be unique`, `${at}.custom_id`);
    seen.add(customId);
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalid(`${at}.params: must be a Messages request object`, `${at}.params`);
    return { customId, body: params };
});
}

function rfc3339(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function invalid(message: string, param: string | undefined): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', message, param === undefined ? {} : { param });
}
