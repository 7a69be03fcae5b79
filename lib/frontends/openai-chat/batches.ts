import { LipError } from '../../errors/index.js';
import { randomId } from '../../wire/ids.js';
import { checkMetadata } from '../metadata.js';
import type { BatchFiles, BatchOutcome, BatchRequest, BatchRoutes, BatchView, FileRoutes, FileUpload, FileView, PreparedBatch } from '../protocol.js';
import { checkJsonShape, uploadedMediaType, WorkSlices } from '../../wire/index.js';

type Json = Record<string, unknown>;

/** The endpoints lip runs batches of (their requests go through those routes). */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/responses', '/v1/embeddings'] as const;
/** OpenAI's only completion window. */
const COMPLETION_WINDOW = '24h';
const BATCH_FIELDS = new Set(['input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after']);
const LINE_FIELDS = new Set(['custom_id', 'method', 'url', 'body']);
/**
 * The purposes lip keeps files for: a batch's input (UTF-8 lines; and, as it makes them, its
 * results), and files that requests name by id (`user_data`, `assistants`, `vision`: put inline
 * when a request names them, for any backend).
 */
const PURPOSES = new Set(['batch', 'user_data', 'assistants', 'vision']);
/** `expires_after.seconds`: from an hour to 30 days, as OpenAI allows. */
const MIN_EXPIRY_S = 3_600;
const MAX_EXPIRY_S = 2_592_000;
const MAX_BATCH_LIMIT = 100;
const MAX_FILE_LIMIT = 10_000;

/** One problem of an input file, reported as OpenAI reports them (`errors.data` of a failed batch). */
interface LineError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

/**
 * OpenAI's Batch API (`/v1/batches`, the SDK's `batches`) and the Files API it takes its input
 * from and gives its results in (`/v1/files`, the SDK's `files`): the create body, the input
 * file's lines (`{custom_id, method: "POST", url, body}`), the batch object, the output and error
 * files' lines, file uploads and objects. An input file that does not hold a valid batch makes
 * the batch `failed` with its errors (line by line, as OpenAI reports them), not a refused
 * create; a request whose body is malformed is a line of the error file, as OpenAI answers it.
 * @see spec/frontends/openai-chat/batches.spec.ts
 */
export const openAIFileRoutes: FileRoutes = {
  path: '/v1/files',
  idPrefix: 'file-',
  resultsPurpose: 'batch_output',

  upload(upload: FileUpload) {
    const { fields, file } = upload;
    for (const name of Object.keys(fields)) {
      if (name !== 'purpose' && name !== 'expires_after[anchor]' && name !== 'expires_after[seconds]') throw invalid(`${name}: Extra inputs are not permitted`, name);
    }
    const purpose = fields.purpose;
    if (purpose === undefined) throw invalid('purpose: Field required', 'purpose');
    if (!PURPOSES.has(purpose)) {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `purpose: lip keeps files of purpose batch, user_data, assistants or vision, not "${purpose.slice(0, 64)}"`, { param: 'purpose' });
    }
    if (file === undefined) throw invalid('file: Field required (a file part named "file")', 'file');
    const anchor = fields['expires_after[anchor]'];
    const seconds = fields['expires_after[seconds]'];
    let expiresAfterMs: number | undefined;
    if (anchor !== undefined || seconds !== undefined) {
      if (anchor !== 'created_at') throw invalid('expires_after[anchor]: must be "created_at"', 'expires_after[anchor]');
      const s = seconds !== undefined && /^\d{1,8}$/.test(seconds) ? Number(seconds) : NaN;
      if (!(s >= MIN_EXPIRY_S && s <= MAX_EXPIRY_S)) throw invalid(`expires_after[seconds]: must be an integer from ${MIN_EXPIRY_S} to ${MAX_EXPIRY_S}`, 'expires_after[seconds]');
      expiresAfterMs = s * 1000;
    }
    const filename = file.name === '' ? (purpose === 'batch' ? 'upload.jsonl' : 'upload') : file.name.slice(0, 256);
    const mediaType = uploadedMediaType(filename, file.type);
    return { purpose, filename, text: purpose === 'batch', mediaType, ...(expiresAfterMs !== undefined ? { expiresAfterMs } : {}) };
  },

  object(file: FileView): unknown {
    return {
      id: file.id, object: 'file', bytes: file.bytes, created_at: seconds(file.createdAt), expires_at: file.expiresAt === undefined ? null : seconds(file.expiresAt),
      filename: file.filename, purpose: file.purpose, status: 'processed', status_details: null,
    };
  },

  listQuery(query: URLSearchParams) {
    const limit = limitOf(query, MAX_FILE_LIMIT, MAX_FILE_LIMIT);
    const order = query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalid('order: must be "asc" or "desc"', 'order');
    const after = query.get('after') ?? undefined;
    const purpose = query.get('purpose') ?? undefined;
    return { limit, order, ...(after !== undefined ? { afterId: after } : {}), ...(purpose !== undefined ? { purpose } : {}) };
  },

  list: page,

  deleted(id: string): unknown {
    return { id, object: 'file', deleted: true };
  },
};

export const openAIBatchRoutes: BatchRoutes = {
  path: '/v1/batches',
  idPrefix: 'batch_',
  idParam: 'batch_id',
  cancelSuffix: '/cancel',
  files: openAIFileRoutes,

  async prepare(body: unknown, maxRequests: number, files: BatchFiles | undefined): Promise<PreparedBatch> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', undefined);
    const b = body as Json;
    for (const key of Object.keys(b)) {
      if (!BATCH_FIELDS.has(key)) throw invalid(`${key}: Extra inputs are not permitted`, key);
    }
    const inputFileId = b.input_file_id;
    if (typeof inputFileId !== 'string' || inputFileId === '') throw invalid('input_file_id: Field required (the id of a file uploaded with purpose "batch")', 'input_file_id');
    const endpoint = b.endpoint;
    if (typeof endpoint !== 'string') throw invalid('endpoint: Field required', 'endpoint');
    if (!(BATCH_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `endpoint: lip runs batches of ${BATCH_ENDPOINTS.join(', ')}, not ${endpoint.slice(0, 64)}`, { param: 'endpoint' });
    }
    if (b.completion_window !== COMPLETION_WINDOW) throw invalid(`completion_window: must be "${COMPLETION_WINDOW}"`, 'completion_window');
    const metadata = checkMetadata(b.metadata);
    const resultsExpireAfterMs = expiryOf(b.output_expires_after);
    const fields = { endpoint, input_file_id: inputFileId, completion_window: COMPLETION_WINDOW, metadata };
    const text = await files!.text(inputFileId, 'input_file_id');
    const read = await readLines(text, endpoint, maxRequests);
    const kept = resultsExpireAfterMs === undefined ? {} : { resultsExpireAfterMs };
    return 'errors' in read ? { requests: [], endpoint, fields, failed: read.errors, ...kept } : { requests: read.requests, endpoint, fields, ...kept };
  },

  object(batch: BatchView): unknown {
    const f = batch.fields;
    const ended = batch.status === 'ended';
    const failed = batch.failed !== undefined;
    const c = batch.counts;
    const status = failed ? 'failed' : !ended ? (batch.status === 'canceling' ? 'cancelling' : 'in_progress')
      : batch.cancelInitiatedAt !== undefined ? 'cancelled' : c.expired > 0 ? 'expired' : 'completed';
    const endedAt = batch.endedAt === undefined ? null : seconds(batch.endedAt);
    const u = batch.usage;
    return {
      id: batch.id, object: 'batch', endpoint: f.endpoint, model: null,
      errors: failed ? { object: 'list', data: batch.failed } : null,
      input_file_id: f.input_file_id, completion_window: f.completion_window, status,
      output_file_id: batch.outputFileId ?? null, error_file_id: batch.errorFileId ?? null,
      created_at: seconds(batch.createdAt),
      in_progress_at: failed ? null : seconds(batch.createdAt),
      expires_at: seconds(batch.expiresAt),
      finalizing_at: status === 'completed' ? endedAt : null,
      completed_at: status === 'completed' ? endedAt : null,
      failed_at: failed ? endedAt : null,
      expired_at: status === 'expired' ? endedAt : null,
      cancelling_at: batch.cancelInitiatedAt === undefined ? null : seconds(batch.cancelInitiatedAt),
      cancelled_at: status === 'cancelled' ? endedAt : null,
      request_counts: { total: batch.total, completed: c.succeeded, failed: c.errored },
      usage: {
        input_tokens: u.input, input_tokens_details: { cached_tokens: u.cacheRead },
        output_tokens: u.output, output_tokens_details: { reasoning_tokens: u.reasoning }, total_tokens: u.input + u.output,
      },
      metadata: f.metadata ?? null,
    };
  },

  listQuery(query: URLSearchParams) {
    const limit = limitOf(query, 20, MAX_BATCH_LIMIT);
    const after = query.get('after') ?? undefined;
    return { limit, ...(after !== undefined ? { afterId: after } : {}) };
  },

  list: page,

  result(customId: string, outcome: BatchOutcome): unknown {
    const id = randomId('batch_req_', 32);
    switch (outcome.type) {
      case 'succeeded': return { id, custom_id: customId, response: { status_code: 200, request_id: outcome.requestId, body: outcome.body }, error: null };
      case 'errored': return { id, custom_id: customId, response: { status_code: outcome.status, request_id: outcome.requestId, body: outcome.body }, error: null };
      case 'canceled': {
        const message = outcome.interrupted === true ? 'This request was running when the batch was cancelled: it was stopped before it was answered.' : 'This request was not run: the batch was cancelled.';
        return { id, custom_id: customId, response: null, error: { code: 'batch_cancelled', message } };
      }
      default: {
        const message = outcome.interrupted === true
          ? 'This request was running when the batch ended (its completion window, or the instance running it, ended): it was stopped before it was answered.'
          : 'This request could not be run before the batch ended (its completion window, or the instance running it, ended first).';
        return { id, custom_id: customId, response: null, error: { code: 'batch_expired', message } };
      }
    }
  },
};

/**
 * An input file's requests, or every problem of it (the batch then fails, as OpenAI's does).
 * Read in slices (WorkSlices: a thousand lines or 10 ms), the event loop turning between two:
 * a file of 100,000 lines takes seconds to check and parse, and other requests are served meanwhile.
 */
export async function readLines(text: string, endpoint: string, maxRequests: number): Promise<{ requests: readonly BatchRequest[] } | { errors: readonly LineError[] }> {
  const errors: LineError[] = [];
  const requests: BatchRequest[] = [];
  const seen = new Set<string>();
  const fail = (code: string, message: string, line: number, param: string | null = null) => {
    if (errors.length < 100) errors.push({ code, message, param, line });
  };
  // A leading byte order mark is no part of the first line (RFC 8259 section 8.1).
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  const slices = new WorkSlices();
  for (let i = 0; i < lines.length; i++) {
    if (slices.due()) await slices.pause();
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const n = i + 1;
    let parsed: unknown;
    try {
      // Held to a request body's limits (depth, elements, ...) before it is parsed, as a body over HTTP is.
      checkJsonShape(raw);
      parsed = JSON.parse(raw);
    } catch (err) {
      if (err instanceof LipError) fail('request_limit_exceeded', `This line is not taken: ${err.message}.`, n);
      else fail('invalid_json_line', 'This line is not valid JSON.', n);
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      fail('invalid_request', 'Each line must be a JSON object with custom_id, method, url and body.', n);
      continue;
    }
    const line = parsed as Json;
    const extra = Object.keys(line).find((k) => !LINE_FIELDS.has(k));
    if (extra !== undefined) fail('invalid_request', `Unknown field "${extra.slice(0, 64)}" (a line has custom_id, method, url and body).`, n, extra.slice(0, 64));
    const customId = line.custom_id;
    if (typeof customId !== 'string' || customId === '' || customId.length > 512) fail('invalid_custom_id', 'custom_id must be a string of 1 to 512 characters.', n, 'custom_id');
    else if (seen.has(customId)) fail('duplicate_custom_id', `custom_id "${customId.slice(0, 64)}" is used by an earlier line; custom ids must be unique in a batch.`, n, 'custom_id');
    if (line.method !== 'POST') fail('invalid_method', 'method must be "POST".', n, 'method');
    if (line.url !== endpoint) fail('mismatched_endpoint', `url must be the batch's endpoint, ${endpoint}.`, n, 'url');
    if (typeof line.body !== 'object' || line.body === null || Array.isArray(line.body)) fail('invalid_body', 'body must be a JSON object (the request).', n, 'body');
    if (typeof customId === 'string' && customId !== '') seen.add(customId);
    requests.push({ customId: customId as string, body: line.body });
  }
  if (requests.length === 0 && errors.length === 0) errors.push({ code: 'empty_file', message: 'The input file holds no requests.', param: null, line: null });
  if (requests.length > maxRequests) {
    errors.push({ code: 'too_many_requests', message: `The input file holds ${requests.length} requests; a batch holds at most ${maxRequests} on this server (server.max_batch_requests).`, param: null, line: null });
  }
  return errors.length > 0 ? { errors } : { requests };
}

function page(objects: readonly unknown[], firstId: string | undefined, lastId: string | undefined, hasMore: boolean): unknown {
  return { object: 'list', data: objects, first_id: firstId ?? null, last_id: lastId ?? null, has_more: hasMore };
}

function limitOf(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= max)) throw invalid(`limit: must be an integer from 1 to ${max}`, 'limit');
  return limit;
}

/** `output_expires_after: {anchor: "created_at", seconds}` (an hour to 30 days), in milliseconds. */
function expiryOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const r = raw as Json;
  if (typeof raw !== 'object' || Array.isArray(raw) || r.anchor !== 'created_at' || Object.keys(r).some((k) => k !== 'anchor' && k !== 'seconds')) {
    throw invalid('output_expires_after: must be {"anchor": "created_at", "seconds": N}', 'output_expires_after');
  }
  const s = r.seconds;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < MIN_EXPIRY_S || s > MAX_EXPIRY_S) {
    throw invalid(`output_expires_after.seconds: must be an integer from ${MIN_EXPIRY_S} to ${MAX_EXPIRY_S}`, 'output_expires_after.seconds');
  }
  return s * 1000;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function invalid(message: string, param: string | undefined): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', message, param === undefined ? {} : { param });
}
