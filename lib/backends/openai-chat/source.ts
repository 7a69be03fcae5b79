import type { Backend, BackendDeps, BackendRow, KindDefaults } from '../backend.js';
import { embeddingsBody, readEmbeddings } from '../embeddings.js';
import { HttpBackend, type HttpProtocol, type UpstreamRequest } from '../http/index.js';
import { endpointUrl, presentedIdentity } from '../http/index.js';
import { classifyChatStatus } from './classify-error.js';
import { ChatResponseDecoder } from './decode-response.js';
import { ChatStreamDecoder } from './decode-stream.js';
import { encodeChatRequest } from './encode-request.js';
import { chatOptions, type ChatOptions } from './options.js';
import { chatReasoning } from '../reasoning-replay.js';

/** Request headers for one key in the row's auth style, plus the row's extra headers. */
export function chatHeaders(o: ChatOptions, key: string | undefined, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, ...o.headers };
  if (key !== undefined && o.auth === 'bearer') headers.authorization = `Bearer ${key}`;
  if (key !== undefined && o.auth === 'api-key') headers['api-key'] = key;
  return headers;
}

/** The OpenAI-style model list: `{"data": [{"id": ...}]}` (Ollama and others answer the same); undefined when it has no `data` array. */
export function parseOpenAIModelList(body: unknown): string[] | undefined {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string').sort();
}

/**
 * The openai-chat protocol over HTTP: `POST {base_url}/chat/completions` (streamed, or one JSON
 * answer for a `whole` target), embeddings from `POST {base_url}/embeddings`, models from
 * `GET {base_url}/models`. `defaultKeyEnv` and `requiresKey` come from the kind or its preset.
 */
export function chatProtocol(row: BackendRow, defaults: KindDefaults): HttpProtocol {
  const o = chatOptions(row);
  const requiresKey = o.auth !== 'none' && defaults.keyEnv !== undefined;
  return {
    ...(defaults.keyEnv ? { defaultKeyEnv: defaults.keyEnv } : {}),
    requiresKey,
    identity: presentedIdentity(defaults),
    reasoning: chatReasoning(o.reasoningField, o.reasoningDetails),
    prefill: o.prefill !== 'none',
    defaultModels: defaults.models,
    // tool_calls[].id: at most 40 characters ("string too long"); any characters (Kimi wants its `functions.Bash:0` back as it is).
    callIds: { chars: 'any', max: 40 },
    customTools: o.customTools === 'native',
    generate: (call, target, key): UpstreamRequest => ({
      method: 'POST',
      url: endpointUrl(o.baseUrl, '/chat/completions'),
      headers: chatHeaders(o, o.auth === 'none' ? undefined : key, target.whole ? 'application/json' : 'text/event-stream'),
      body: JSON.stringify(encodeChatRequest(call, target.model, o, !target.whole)),
    }),
    // No count call: a count of a call this would refuse is that refusal (Backend.refusal).
    encode: (call, model) => encodeChatRequest(call, model, o),
    decoder: (_call, _target, secrets) => new ChatStreamDecoder(row.id, secrets, { reasoningDetails: o.reasoningDetails }),
    response: (_call, _target, secrets) => new ChatResponseDecoder(row.id, secrets, { reasoningDetails: o.reasoningDetails }),
    statusError: (status, text, headers, wait, secrets) => classifyChatStatus(row.id, status, text, headers, wait, secrets),
    embed: {
      request: (request, model, key) => ({
        method: 'POST', url: endpointUrl(o.baseUrl, '/embeddings'), headers: chatHeaders(o, o.auth === 'none' ? undefined : key, 'application/json'),
        body: JSON.stringify(embeddingsBody(request, model)),
      }),
      parse: readEmbeddings,
    },
    models: {
      request: (key) => ({ method: 'GET', url: endpointUrl(o.baseUrl, '/models'), headers: chatHeaders(o, o.auth === 'none' ? undefined : key, 'application/json') }),
      parse: parseOpenAIModelList,
    },
  };
}

/** The openai-chat kind's own defaults (presets bring theirs). */
export const OPENAI_CHAT_DEFAULTS: KindDefaults = { keyEnv: 'OPENAI_API_KEY', models: ['gpt-5.4-mini'] };

/** Builds a Chat Completions backend for a row (the BackendFactory of this protocol). */
export function openaiChatBackend(row: BackendRow, deps: BackendDeps, defaults: KindDefaults = OPENAI_CHAT_DEFAULTS): Backend {
  return new HttpBackend(row, deps, row.kind, chatProtocol(row, defaults));
}
