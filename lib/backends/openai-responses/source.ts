import { countAt, pick } from '../count-tokens.js';
import type { Backend, BackendDeps, BackendRow, KindDefaults } from '../backend.js';
import { embeddingsBody, readEmbeddings } from '../embeddings.js';
import { HttpBackend, type HttpProtocol } from '../http/index.js';
import { endpointUrl, presentedIdentity } from '../http/index.js';
import { classifyResponsesStatus } from './classify-error.js';
import { ResponsesResponseDecoder } from './decode-response.js';
import { ResponsesStreamDecoder } from './decode-stream.js';
import { encodeOpenResponsesRequest } from './encode-open-request.js';
import { encodeResponsesRequest } from './encode-request.js';
import { responsesOptions, type ResponsesOptions } from './options.js';
import { RESPONSES_REASONING } from '../reasoning-replay.js';
import { withoutStopSequences } from '../stop-sequences.js';

export function responsesHeaders(o: ResponsesOptions, key: string | undefined, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, ...o.headers };
  if (key !== undefined && o.auth === 'bearer') headers.authorization = `Bearer ${key}`;
  if (key !== undefined && o.auth === 'api-key') headers['api-key'] = key;
  return headers;
}

/** What `POST /responses/input_tokens` takes of a Responses request (no `stream`, `store`, sampling or limits). */
const COUNTED_FIELDS = ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text', 'truncation'] as const;

/** `{"data": [{"id": ...}]}` -> ids; undefined when it has no `data` array. */
function parseModelList(body: unknown): string[] | undefined {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string').sort();
}

/**
 * The Responses API over HTTP: `POST {base_url}/responses` (streamed unless `whole`); token
 * counts from `POST {base_url}/responses/input_tokens`, embeddings from the same API's
 * `POST {base_url}/embeddings`; `GET {base_url}/models`.
 */
export function responsesProtocol(row: BackendRow, defaults: KindDefaults): HttpProtocol {
  const o = responsesOptions(row);
  if (o.profile === 'openresponses') return openResponsesProtocol(row, o, defaults);
  const sendKey = (key: string | undefined) => (o.auth === 'none' ? undefined : key);
  return {
    ...(defaults.keyEnv ? { defaultKeyEnv: defaults.keyEnv } : {}),
    requiresKey: o.auth !== 'none' && defaults.keyEnv !== undefined,
    identity: presentedIdentity(defaults),
    reasoning: RESPONSES_REASONING,
    defaultModels: defaults.models,
    // call_id: at most 64 characters (the Responses API's, and Open Responses').
    callIds: { chars: 'any', max: 64 },
    customTools: true,
    toolNamespaces: o.toolNamespaces === 'native',
    addedTools: true,
    generate: (call, target, key) => ({
      method: 'POST',
      url: endpointUrl(o.baseUrl, '/responses'),
      headers: responsesHeaders(o, sendKey(key), target.whole ? 'application/json' : 'text/event-stream'),
      body: JSON.stringify(encodeResponsesRequest(call, target.model, o, !target.whole)),
    }),
    decoder: (_call, _target, secrets) => new ResponsesStreamDecoder(row.id, secrets),
    response: (_call, _target, secrets) => new ResponsesResponseDecoder(row.id, secrets),
    statusError: (status, text, headers, wait, secrets) => classifyResponsesStatus(row.id, status, text, headers, wait, secrets),
    countTokens: {
      request: (call, model, key) => ({
        method: 'POST', url: endpointUrl(o.baseUrl, '/responses/input_tokens'), headers: responsesHeaders(o, sendKey(key), 'application/json'),
        // Stop sequences, which the API has not (a generation refuses them), do not change a count.
        body: JSON.stringify(pick(encodeResponsesRequest(withoutStopSequences(call), model, o, false), COUNTED_FIELDS)),
      }),
      parse: (body) => countAt(body, 'input_tokens'),
    },
    embed: {
      request: (request, model, key) => ({
        method: 'POST', url: endpointUrl(o.baseUrl, '/embeddings'), headers: responsesHeaders(o, sendKey(key), 'application/json'),
        body: JSON.stringify(embeddingsBody(request, model)),
      }),
      parse: readEmbeddings,
    },
    models: {
      request: (key) => ({ method: 'GET', url: endpointUrl(o.baseUrl, '/models'), headers: responsesHeaders(o, sendKey(key), 'application/json') }),
      parse: parseModelList,
    },
  };
}

/**
 * An Open Responses endpoint (`profile: openresponses`): `POST {base_url}/responses`, streamed
 * or whole, with only what the specification defines (encode-open-request.ts); custom tools,
 * namespaces and tools added later go as functions, reasoning is not replayed, and the answer is
 * read as the Responses events it is (its encrypted reasoning, another server's, left out). The
 * specification has no token count and no embeddings (lip estimates; embeddings are refused);
 * the model list is `GET {base_url}/models` where the server has one.
 */
function openResponsesProtocol(row: BackendRow, o: ResponsesOptions, defaults: KindDefaults): HttpProtocol {
  const sendKey = (key: string | undefined) => (o.auth === 'none' ? undefined : key);
  return {
    ...(defaults.keyEnv ? { defaultKeyEnv: defaults.keyEnv } : {}),
    requiresKey: o.auth !== 'none' && defaults.keyEnv !== undefined,
    identity: presentedIdentity(defaults),
    defaultModels: defaults.models,
    // call_id: at most 64 characters (the Responses API's, and Open Responses').
    callIds: { chars: 'any', max: 64 },
    generate: (call, target, key) => ({
      method: 'POST',
      url: endpointUrl(o.baseUrl, '/responses'),
      headers: responsesHeaders(o, sendKey(key), target.whole ? 'application/json' : 'text/event-stream'),
      body: JSON.stringify(encodeOpenResponsesRequest(call, target.model, o, row.id, !target.whole)),
    }),
    // No count call: a count of a call this would refuse is that refusal (Backend.refusal).
    encode: (call, model) => encodeOpenResponsesRequest(call, model, o, row.id),
    decoder: (_call, _target, secrets) => new ResponsesStreamDecoder(row.id, secrets, undefined),
    response: (_call, _target, secrets) => new ResponsesResponseDecoder(row.id, secrets, undefined),
    statusError: (status, text, headers, wait, secrets) => classifyResponsesStatus(row.id, status, text, headers, wait, secrets),
    models: {
      request: (key) => ({ method: 'GET', url: endpointUrl(o.baseUrl, '/models'), headers: responsesHeaders(o, sendKey(key), 'application/json') }),
      parse: parseModelList,
    },
  };
}

export const OPENAI_RESPONSES_DEFAULTS: KindDefaults = { keyEnv: 'OPENAI_API_KEY', models: ['gpt-5.4-mini'] };

/** Builds a Responses API backend for a row (the BackendFactory of this protocol). */
export function openaiResponsesBackend(row: BackendRow, deps: BackendDeps, defaults: KindDefaults = OPENAI_RESPONSES_DEFAULTS): Backend {
  return new HttpBackend(row, deps, row.kind, responsesProtocol(row, defaults));
}
