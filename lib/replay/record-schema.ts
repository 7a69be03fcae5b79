import type { ErrorObject, ValidateFunction } from 'ajv';
import { LIP_EVENT_TYPES } from '../canonical/index.js';
import { SchemaValidators, type ValidatorFamily } from '../wire/index.js';

/**
 * The JSON Schema of a version-1 exchange record (`ExchangeRecord`): every field a replay
 * reads, with its type. A recording is input like any other (edited by hand, cut by a crash,
 * written by another build); a line that passes is one the replay can run without meeting a
 * value of the wrong type. Members the format does not name are allowed (a newer writer may
 * add some); canonical events are checked per type, with their required fields.
 */
const nullable = (type: string) => ({ type: [type, 'null'] });
const offset = { type: 'number', minimum: 0 };
const headers = { type: 'object', additionalProperties: { anyOf: [{ type: ['string', 'number'] }, { type: 'array', items: { type: 'string' } }] } };

/** Required string fields and optional string fields of each canonical event type. */
const EVENT_FIELDS: Record<(typeof LIP_EVENT_TYPES)[number], { readonly required: readonly string[]; readonly optional: readonly string[] }> = {
  response_started: { required: [], optional: ['id', 'model'] },
  message_started: { required: [], optional: [] },
  text_delta: { required: ['text'], optional: [] },
  reasoning_delta: { required: ['text'], optional: [] },
  reasoning_signature: { required: ['signature'], optional: ['dialect'] },
  reasoning_opaque: { required: ['dialect', 'data'], optional: ['id'] },
  tool_call_started: { required: ['id', 'name'], optional: ['signature', 'dialect', 'namespace', 'toolset'] },
  tool_call_delta: { required: ['id', 'args'], optional: [] },
  tool_call_finished: { required: ['id'], optional: [] },
  web_search: { required: ['id'], optional: ['query', 'error', 'dialect', 'entryPoint'] },
  citation: { required: [], optional: ['url', 'title', 'citedText', 'encryptedIndex', 'dialect'] },
  hosted_tool: { required: ['id', 'dialect'], optional: [] },
  usage: { required: [], optional: [] },
  warning: { required: ['code', 'message'], optional: [] },
  error: { required: ['code', 'message'], optional: [] },
  response_finished: { required: [], optional: ['raw', 'stopSequence', 'resume', 'details'] },
};

const numbers = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, { type: 'number' }]));
const USAGE = {
  type: 'object',
  properties: {
    ...numbers(['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens']),
    serviceTier: { type: 'string' }, inferenceGeo: { type: 'string' }, speed: { type: 'string' },
    compaction: { type: 'object', properties: numbers(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens']) },
    iterations: { type: 'object', required: ['dialect', 'value'], properties: { dialect: { type: 'string' }, value: { type: 'array' } } },
  },
};

const EXTRA: Partial<Record<keyof typeof EVENT_FIELDS, { required: string[]; properties: Record<string, unknown> }>> = {
  usage: { required: ['usage'], properties: { usage: USAGE } },
  text_delta: { required: [], properties: { refusal: { const: true } } },
  tool_call_started: {
    required: [],
    properties: {
      custom: { type: 'boolean' },
      caller: { type: 'object', required: ['dialect', 'value'], properties: { dialect: { type: 'string' }, value: { type: 'object' } } },
      providerFields: { type: 'object', required: ['dialect', 'value'], properties: { dialect: { type: 'string' }, value: { type: 'object' } } },
    },
  },
  error: { required: [], properties: { status: { type: 'integer' } } },
  web_search: {
    required: ['status'],
    properties: {
      status: { enum: ['searching', 'completed', 'failed'] },
      results: {
        type: 'array',
        items: { type: 'object', required: ['url'], properties: Object.fromEntries(['url', 'title', 'pageAge', 'encrypted'].map((k) => [k, { type: 'string' }])) },
      },
    },
  },
  hosted_tool: {
    required: ['phase'],
    properties: { phase: { enum: ['added', 'progress', 'done'] }, block: { type: 'object' }, update: { type: 'object' }, scope: { const: 'message' } },
  },
  citation: {
    required: ['start', 'end'],
    properties: {
      start: { type: 'integer', minimum: 0 }, end: { type: 'integer', minimum: 0 },
      searchResult: { type: 'object', required: ['index', 'start', 'end'], properties: { index: { type: 'integer', minimum: 0 }, start: { type: 'integer' }, end: { type: 'integer' } } },
      document: {
        type: 'object', required: ['index', 'kind', 'start', 'end'],
        properties: { index: { type: 'integer', minimum: 0 }, kind: { enum: ['char', 'page', 'block'] }, start: { type: 'integer' }, end: { type: 'integer' }, title: { type: 'string' }, fileId: { type: 'string' } },
      },
    },
  },
  response_finished: { required: ['reason'], properties: { reason: { enum: ['stop', 'length', 'tool_calls', 'content_filter', 'stop_sequence', 'other'] } } },
};

const EVENT = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  discriminator: { propertyName: 'type' },
  oneOf: LIP_EVENT_TYPES.map((type) => {
    const fields = EVENT_FIELDS[type];
    const extra = EXTRA[type];
    return {
      properties: {
        type: { const: type },
        ...Object.fromEntries([...fields.required, ...fields.optional].map((k) => [k, { type: 'string' }])),
        ...extra?.properties,
      },
      required: [...fields.required, ...(extra?.required ?? [])],
    };
  }),
};

/** An embeddings request's canonical result. */
const EMBEDDING = {
  type: 'object',
  required: ['vectors'],
  properties: { vectors: { type: 'array', items: { type: 'array', items: { type: 'number' } } }, inputTokens: { type: 'number' }, model: { type: 'string' } },
};

const TIMED_EVENTS = { type: 'array', items: { type: 'array', items: [offset, { $ref: '#/definitions/event' }], minItems: 2, additionalItems: false } };

const ATTEMPT = {
  type: 'object',
  required: ['seq', 'b_leg_id', 'candidate_key', 'backend_id', 'role', 'started_ms', 'first_output_ms', 'finished_ms', 'outcome', 'reason', 'http_status', 'call', 'events'],
  properties: {
    seq: { type: 'integer' },
    b_leg_id: nullable('string'),
    candidate_key: { type: 'string' },
    backend_id: { type: 'string' },
    role: { enum: ['served', 'tried'] },
    started_ms: offset,
    first_output_ms: { anyOf: [offset, { type: 'null' }] },
    finished_ms: { anyOf: [offset, { type: 'null' }] },
    outcome: { enum: ['success', 'failure', 'cancelled'] },
    reason: nullable('string'),
    message: nullable('string'),
    http_status: { anyOf: [{ type: 'integer', minimum: 100, maximum: 599 }, { type: 'null' }] },
    retryable: nullable('boolean'),
    call: nullable('object'),
    events: TIMED_EVENTS,
    embedding: EMBEDDING,
  },
};

export const RECORD_SCHEMA = {
  type: 'object',
  required: ['v', 'id', 'request_id', 'at', 'frontend', 'principal', 'session_id', 'a_leg_id', 'config_digest', 'request', 'selector', 'selector_source', 'served', 'attempts', 'client'],
  definitions: { event: EVENT },
  properties: {
    v: { const: 1 },
    id: { type: 'string' },
    request_id: { type: 'string' },
    at: { type: 'string' },
    frontend: { type: 'string' },
    principal: { type: 'string' },
    key_id: nullable('string'),
    session_id: nullable('string'),
    a_leg_id: nullable('string'),
    config_digest: { type: 'string' },
    request: {
      type: 'object',
      required: ['method', 'path', 'headers', 'body'],
      properties: { method: { type: 'string' }, path: { type: 'string' }, headers, body: {}, body_text: { type: 'string' }, body_bytes: { type: 'string' }, body_unread: { const: true } },
    },
    selector: nullable('string'),
    selector_source: nullable('string'),
    served: nullable('string'),
    skipped: {
      type: 'array',
      items: { type: 'object', required: ['candidate_key', 'reason'], properties: { candidate_key: { type: 'string' }, reason: { type: 'string' } } },
    },
    attempts: { type: 'array', items: ATTEMPT },
    auxiliary: {
      type: 'array',
      items: { type: 'object', required: ['request_id', 'attempts'], properties: { request_id: { type: 'string' }, attempts: { type: 'array', items: ATTEMPT } } },
    },
    truncated: { const: true },
    redaction_failed: { const: true },
    client: {
      type: 'object',
      required: ['status', 'headers', 'events', 'error', 'finished_ms'],
      properties: {
        status: { type: 'integer' },
        headers,
        events: TIMED_EVENTS,
        embedding: EMBEDDING,
        error: { anyOf: [{ type: 'null' }, { type: 'object', required: ['code'], properties: { code: { type: 'string' } } }] },
        finished_ms: offset,
      },
    },
  },
};

/** How RECORD_SCHEMA is compiled (the build precompiles it: lib/wire/precompiled-validators.ts). */
export const RECORD_VALIDATORS: ValidatorFamily = { options: { discriminator: true, strict: true, allowUnionTypes: true, allErrors: false } };

let validator: ValidateFunction | undefined;

/** Why `value` is not a version-1 record (the first problem, at its path), or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  // Loaded with the first record read (lip serve never reads one).
  validator ??= new SchemaValidators(RECORD_VALIDATORS).validator(RECORD_SCHEMA);
  if (validator(value)) return undefined;
  return describe(validator.errors?.[0]);
}

/** `attempts[0].events[3][1]: must have required property 'text'`. */
function describe(error: ErrorObject | undefined): string {
  if (!error) return 'not a record';
  const path = error.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out === '' ? p : `${out}.${p}`), '');
  const detail = error.keyword === 'discriminator' && error.params?.error === 'mapping'
    ? `unknown event type ${JSON.stringify(error.params.tagValue)}`
    : error.keyword === 'enum' ? `${error.message} (${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`
    : error.keyword === 'const' ? `must be ${JSON.stringify(error.params.allowedValue)}`
    : error.message ?? error.keyword;
  return path === '' ? detail : `${path}: ${detail}`;
}
