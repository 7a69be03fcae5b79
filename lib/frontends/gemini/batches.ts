import { LipError } from '../../errors/index.js';
import type { BatchOutcome, BatchRequest, BatchRoutes, BatchView, PreparedBatch } from '../protocol.js';
import { rpcStatus } from './encode-error.js';
import { modelOfPath } from './model-path.js';

type Json = Record<string, unknown>;

const BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput';
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1_000;
const MAX_DISPLAY_NAME = 128;
/** google.rpc.Code numbers by name (an operation's errors carry these, not HTTP statuses). */
const GRPC_CODES: Readonly<Record<string, number>> = {
  CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9, ABORTED: 10, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16,
};

/**
 * Gemini's Batch API for generateContent (`ai.batches` of `@google/genai`): a create at
 * `POST /v1beta/models/{model}:batchGenerateContent` with inlined requests
 * (`batch.inputConfig.requests.requests[]`, each `{request, metadata}`), the batch as a
 * long-running operation (`batches/{id}`, its `metadata` a GenerateContentBatch: state, stats,
 * times, and once it ended its inlined responses in order, each `{response, metadata}` or
 * `{error, metadata}`), `GET /v1beta/batches` (`pageSize`, `pageToken`), `:cancel` and
 * `DELETE`. A request's own `model` is the batch's; a request is decoded when it runs, so a
 * malformed one is an error entry of the output, not a refused batch.
 * @see spec/frontends/gemini/batches.spec.ts
 */
export const geminiBatchRoutes: BatchRoutes = {
  path: '/v1beta/batches',
  idPrefix: '',
  idParam: 'name',
  cancelSuffix: ':cancel',
  inlineResults: true,

  createMatch: (pathname) => modelOfPath(pathname, 'batchGenerateContent'),

  prepare(body: unknown, maxRequests: number, _files, params = {}): Promise<PreparedBatch> {
    const model = params.model!;
    const batch = field(objectOf(body, 'the body'), 'batch');
    const b = objectOf(batch ?? {}, 'batch');
    const input = objectOf(field(b, 'inputConfig') ?? missing('batch.inputConfig'), 'batch.inputConfig');
    if (field(input, 'fileName') !== undefined) {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'batch.inputConfig.fileName: lip runs batches of inlined requests (inputConfig.requests); it keeps no uploaded files for Gemini', { param: 'batch.inputConfig.fileName' });
    }
    const wrapper = objectOf(field(input, 'requests') ?? missing('batch.inputConfig.requests'), 'batch.inputConfig.requests');
    const list = field(wrapper, 'requests');
    if (!Array.isArray(list) || list.length === 0) throw invalid('batch.inputConfig.requests.requests: must be a non-empty array of {request, metadata}', 'batch.inputConfig.requests.requests');
    if (list.length > maxRequests) {
      throw new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `batch.inputConfig.requests.requests: a batch holds at most ${maxRequests} requests on this server (server.max_batch_requests); this one has ${list.length}`, { param: 'batch.inputConfig.requests.requests' });
    }
    const requests: BatchRequest[] = list.map((item: unknown, i) => {
      const at = `batch.inputConfig.requests.requests[${i}]`;
      const entry = objectOf(item, at);
      const request = objectOf(field(entry, 'request') ?? missing(`${at}.request`), `${at}.request`);
      const metadata = field(entry, 'metadata');
      // Its own model is the batch's (the SDK sends it): not a field of the request lip decodes.
      const { model: _own, ...rest } = request;
      // The custom id carries the entry's metadata (echoed with its response).
      return { customId: JSON.stringify(metadata ?? null), body: rest };
    });
    const displayName = field(b, 'displayName');
    if (displayName !== undefined && (typeof displayName !== 'string' || displayName.length > MAX_DISPLAY_NAME)) {
      throw invalid(`batch.displayName: must be a string of at most ${MAX_DISPLAY_NAME} characters`, 'batch.displayName');
    }
    let path: string;
    try {
      path = `/v1beta/models/${encodeURIComponent(model)}:generateContent`;
    } catch {
      throw invalid('model: not a model name (it is not valid Unicode)', 'model');
    }
    return Promise.resolve({
      requests, endpoint: path,
      fields: { model, ...(displayName !== undefined ? { displayName } : {}) },
    });
  },

  object(batch: BatchView, _resultsUrl: string, lines?: readonly unknown[]): unknown {
    const ended = batch.status === 'ended';
    const c = batch.counts;
    const name = `batches/${batch.id}`;
    const output = lines === undefined ? undefined : { inlinedResponses: { inlinedResponses: lines } };
    return {
      name,
      metadata: {
        '@type': BATCH_TYPE,
        model: `models/${String(batch.fields.model)}`,
        ...(batch.fields.displayName !== undefined ? { displayName: batch.fields.displayName } : {}),
        name,
        createTime: rfc3339(batch.createdAt),
        updateTime: rfc3339(batch.endedAt ?? batch.createdAt),
        ...(ended ? { endTime: rfc3339(batch.endedAt ?? batch.createdAt) } : {}),
        batchStats: {
          requestCount: String(batch.total),
          successfulRequestCount: String(c.succeeded),
          failedRequestCount: String(c.errored + c.canceled + c.expired),
          pendingRequestCount: String(c.processing),
        },
        state: stateOf(batch),
        ...(output !== undefined ? { output } : {}),
      },
      ...(ended ? { done: true } : {}),
      ...(output !== undefined ? { response: { '@type': OUTPUT_TYPE, ...output } } : {}),
    };
  },

  cancelled: () => ({}),

  listQuery(query: URLSearchParams) {
    const raw = query.get('pageSize');
    let limit = DEFAULT_PAGE_SIZE;
    if (raw !== null) {
      limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
      if (!(limit >= 1)) throw invalid('pageSize: must be a positive integer', 'pageSize');
      limit = Math.min(limit, MAX_PAGE_SIZE);
    }
    const token = query.get('pageToken');
    return { limit, ...(token !== null && token !== '' ? { afterId: token } : {}) };
  },

  list(objects: readonly unknown[], _firstId, lastId, hasMore): unknown {
    return { operations: objects, ...(hasMore && lastId !== undefined ? { nextPageToken: lastId } : {}) };
  },

  deleted: () => ({}),

  result(customId: string, outcome: BatchOutcome): unknown {
    let metadata: unknown;
    try {
      metadata = JSON.parse(customId);
    } catch {
      metadata = null;
    }
    const kept = metadata === null || metadata === undefined ? {} : { metadata };
    switch (outcome.type) {
      case 'succeeded': return { response: outcome.body, ...kept };
      case 'errored': {
        // A google.rpc.Status, as an operation carries errors: the gRPC code, the message, the details.
        const error = (outcome.body as { error?: { message?: unknown; details?: unknown } } | undefined)?.error;
        return { error: { code: GRPC_CODES[rpcStatus(outcome.status)] ?? 13, message: typeof error?.message === 'string' ? error.message : rpcStatus(outcome.status), ...(error?.details !== undefined ? { details: error.details } : {}) }, ...kept };
      }
      case 'canceled': return { error: { code: GRPC_CODES.CANCELLED, message: 'the batch was cancelled before this request ran' }, ...kept };
      default: return { error: { code: GRPC_CODES.DEADLINE_EXCEEDED, message: 'this request could not run before the batch ended (its day, or the instance running it, ended first)' }, ...kept };
    }
  },
};

/** Gemini's batch state: running until it ended, then how it ended. */
function stateOf(batch: BatchView): string {
  if (batch.status !== 'ended') return 'BATCH_STATE_RUNNING';
  if (batch.failed !== undefined) return 'BATCH_STATE_FAILED';
  if (batch.cancelInitiatedAt !== undefined) return 'BATCH_STATE_CANCELLED';
  return batch.counts.expired > 0 ? 'BATCH_STATE_EXPIRED' : 'BATCH_STATE_SUCCEEDED';
}

/** A field of a protobuf JSON object, by its camelCase or snake_case name. */
function field(o: Json, name: string): unknown {
  return name in o ? o[name] : o[name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function objectOf(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where}: must be an object`, where === 'the body' ? undefined : where);
  return value as Json;
}

function missing(where: string): never {
  throw invalid(`${where}: required`, where);
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function invalid(message: string, param: string | undefined): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', message, param === undefined ? {} : { param });
}
