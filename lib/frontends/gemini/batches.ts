import { LipError } from '../../errors/index.js';
import { checkJsonShape, WorkSlices } from '../../wire/index.js';
import type { BatchFiles, BatchOutcome, BatchRequest, BatchRoutes, BatchView, PreparedBatch } from '../protocol.js';
import { geminiBatchInput } from './files.js';
import { rpcStatus } from './encode-error.js';
import { modelOfPath } from './model-path.js';

type Json = Record<string, unknown>;

const BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput';
const EMBED_BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatch';
const EMBED_OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatchOutput';
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
  // A batch of an input file answers with a responses file instead.
  inlineResults: (batch) => batch.fields.source !== 'file',
  resultsFile: { path: '/v1beta/files/batch-{id}:download', contentType: 'application/jsonl' },
  inputFiles: geminiBatchInput,

  // A batch of generateContent requests, or (`asyncBatchEmbedContent`, the SDK's `batches.createEmbeddings`) of embedContent requests.
  createMatch: (pathname) => {
    const generate = modelOfPath(pathname, 'batchGenerateContent');
    if (generate !== undefined) return generate;
    const embed = modelOfPath(pathname, 'asyncBatchEmbedContent');
    return embed === undefined ? undefined : { ...embed, embed: 'true' };
  },

  async prepare(body: unknown, maxRequests: number, files, params = {}): Promise<PreparedBatch> {
    const model = params.model!;
    const batch = field(objectOf(body, 'the body'), 'batch');
    const b = objectOf(batch ?? {}, 'batch');
    const input = objectOf(field(b, 'inputConfig') ?? missing('batch.inputConfig'), 'batch.inputConfig');
    const fileName = field(input, 'fileName');
    const requests = fileName !== undefined ? await fileRequests(fileName, files, maxRequests) : inlinedRequests(input, maxRequests);
    const displayName = field(b, 'displayName');
    if (displayName !== undefined && (typeof displayName !== 'string' || displayName.length > MAX_DISPLAY_NAME)) {
      throw invalid(`batch.displayName: must be a string of at most ${MAX_DISPLAY_NAME} characters`, 'batch.displayName');
    }
    const embed = params.embed === 'true';
    let path: string;
    try {
      path = `/v1beta/models/${encodeURIComponent(model)}:${embed ? 'embedContent' : 'generateContent'}`;
    } catch {
      throw invalid('model: not a model name (it is not valid Unicode)', 'model');
    }
    return {
      requests, endpoint: path,
      fields: { model, ...(displayName !== undefined ? { displayName } : {}), ...(fileName !== undefined ? { source: 'file' } : {}), ...(embed ? { kind: 'embed' } : {}) },
    };
  },

  object(batch: BatchView, _resultsUrl: string, lines?: readonly unknown[]): unknown {
    const ended = batch.status === 'ended';
    const c = batch.counts;
    const name = `batches/${batch.id}`;
    const output = batch.fields.source === 'file' ? (ended ? { responsesFile: `files/batch-${batch.id}` } : undefined)
      : lines === undefined ? undefined : { inlinedResponses: { inlinedResponses: lines } };
    return {
      name,
      metadata: {
        '@type': batch.fields.kind === 'embed' ? EMBED_BATCH_TYPE : BATCH_TYPE,
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
      ...(output !== undefined ? { response: { '@type': batch.fields.kind === 'embed' ? EMBED_OUTPUT_TYPE : OUTPUT_TYPE, ...output } } : {}),
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

  result(customId: string, outcome: BatchOutcome, fields): unknown {
    let kept: Json;
    if (fields.source === 'file') {
      // A line of the responses file: the input line's key, then its response or status.
      kept = { key: customId };
    } else {
      let metadata: unknown;
      try {
        metadata = JSON.parse(customId);
      } catch {
        metadata = null;
      }
      kept = metadata === null || metadata === undefined ? {} : { metadata };
    }
    switch (outcome.type) {
      case 'succeeded': return { response: outcome.body, ...kept };
      case 'errored': {
        // A google.rpc.Status, as an operation carries errors: the gRPC code, the message, the details.
        const error = (outcome.body as { error?: { message?: unknown; details?: unknown } } | undefined)?.error;
        return { error: { code: GRPC_CODES[rpcStatus(outcome.status)] ?? 13, message: typeof error?.message === 'string' ? error.message : rpcStatus(outcome.status), ...(error?.details !== undefined ? { details: error.details } : {}) }, ...kept };
      }
      case 'canceled': {
        const message = outcome.interrupted === true ? 'the batch was cancelled while this request ran: it was stopped before it was answered' : 'the batch was cancelled before this request ran';
        return { error: { code: GRPC_CODES.CANCELLED, message }, ...kept };
      }
      default: {
        const message = outcome.interrupted === true
          ? 'the batch ended while this request ran (its day, or the instance running it, ended): it was stopped before it was answered'
          : 'this request could not run before the batch ended (its day, or the instance running it, ended first)';
        return { error: { code: GRPC_CODES.DEADLINE_EXCEEDED, message }, ...kept };
      }
    }
  },
};

/**
 * The requests of `inputConfig.requests.requests[]`: `{request, metadata}` each, the metadata kept
 * as its custom id (echoed with its response). Metadata need not be there, nor differ: each
 * request is keyed by its position (1, 2, ...), as a line of an input file without a key is.
 */
function inlinedRequests(input: Json, maxRequests: number): BatchRequest[] {
  const wrapper = objectOf(field(input, 'requests') ?? missing('batch.inputConfig.requests'), 'batch.inputConfig.requests');
  const list = field(wrapper, 'requests');
  if (!Array.isArray(list) || list.length === 0) throw invalid('batch.inputConfig.requests.requests: must be a non-empty array of {request, metadata}', 'batch.inputConfig.requests.requests');
  if (list.length > maxRequests) throw tooMany('batch.inputConfig.requests.requests', maxRequests, list.length);
  return list.map((item: unknown, i) => {
    const at = `batch.inputConfig.requests.requests[${i}]`;
    const entry = objectOf(item, at);
    const request = objectOf(field(entry, 'request') ?? missing(`${at}.request`), `${at}.request`);
    // Its own model is the batch's (the SDK sends it): not a field of the request lip decodes.
    const { model: _own, ...rest } = request;
    return { customId: JSON.stringify(field(entry, 'metadata') ?? null), body: rest, key: String(i + 1) };
  });
}

/**
 * The requests of an input file (`inputConfig.fileName`, a file of the caller's Files API): JSON
 * lines `{"key": ..., "request": {...}}`, the key kept as its custom id (the responses file's
 * lines carry it); blank lines are skipped, a line without a key is keyed by its line number.
 */
async function fileRequests(fileName: unknown, files: BatchFiles | undefined, maxRequests: number): Promise<BatchRequest[]> {
  const param = 'batch.inputConfig.fileName';
  if (typeof fileName !== 'string' || fileName === '') throw invalid(`${param}: must be the name of an uploaded file (files/...)`, param);
  if (files === undefined) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${param}: this server keeps no files`, { param });
  const text = await files.text(fileName, param);
  const requests: BatchRequest[] = [];
  const lines = text.split('\n');
  // In slices, the event loop turning between them (a large file takes seconds to read).
  const slices = new WorkSlices();
  for (let i = 0; i < lines.length; i++) {
    if (slices.due()) await slices.pause();
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = `${param} (${fileName.slice(0, 64)}), line ${i + 1}`;
    let entry: unknown;
    try {
      // Held to a request body's limits (depth, elements, ...) before it is parsed, as a body over HTTP is.
      checkJsonShape(line);
      entry = JSON.parse(line);
    } catch (err) {
      if (err instanceof LipError) throw new LipError(err.code, `${at}: ${err.message}`, { param });
      throw invalid(`${at}: not JSON`, param);
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`${at}: must be an object {"key": ..., "request": {...}}`, param);
    const request = field(entry as Json, 'request');
    if (typeof request !== 'object' || request === null || Array.isArray(request)) throw invalid(`${at}: request must be an object (a GenerateContentRequest)`, param);
    const key = (entry as Json).key;
    if (key !== undefined && typeof key !== 'string') throw invalid(`${at}: key must be a string`, param);
    if (requests.length === maxRequests) throw tooMany(param, maxRequests, `${maxRequests + 1} or more`);
    const { model: _own, ...rest } = request as Json;
    requests.push({ customId: key ?? String(i + 1), body: rest });
  }
  if (requests.length === 0) throw invalid(`${param}: ${fileName.slice(0, 64)} holds no requests`, param);
  return requests;
}

function tooMany(param: string, max: number, count: number | string): LipError {
  return new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `${param}: a batch holds at most ${max} requests on this server (server.max_batch_requests); this one has ${count}`, { param });
}

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
