import { countAt, pick } from '../count-tokens.js';
import type { Backend, BackendDeps, BackendRow, KindDefaults } from '../backend.js';
import { HttpBackend, type HttpProtocol } from '../http/index.js';
import { endpointUrl, presentedIdentity } from '../http/index.js';
import { thinkingBudget } from '../thinking.js';
import { webSearchTool } from '../web-search.js';
import { HOSTED_DIALECTS, hostedKnobs, REASONING_DIALECTS } from '../../canonical/index.js';
import { classifyAnthropicStatus } from './classify-error.js';
import { AnthropicResponseDecoder } from './decode-response.js';
import { AnthropicStreamDecoder } from './decode-stream.js';
import { encodeAnthropicRequest } from './encode-request.js';
import { anthropicOptions, type AnthropicOptions } from './options.js';
import { ANTHROPIC_REASONING } from '../reasoning-replay.js';
import { enrollInCache } from '../cache-marks.js';

export function anthropicHeaders(o: AnthropicOptions, key: string | undefined, accept: string, betas?: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, 'anthropic-version': o.version, ...o.headers };
  if (betas !== undefined && betas.length > 0) {
    const configured = Object.keys(headers).find((name) => name.toLowerCase() === 'anthropic-beta');
    const own = configured === undefined ? undefined : headers[configured];
    if (configured !== undefined) delete headers[configured];
    headers['anthropic-beta'] = withBetas(own, betas);
  }
  if (key !== undefined) {
    if (o.auth === 'bearer') headers.authorization = `Bearer ${key}`;
    else headers['x-api-key'] = key;
  }
  return headers;
}

/** What `count_tokens` takes of a Messages request (it refuses `max_tokens`, `stream`, sampling; of the knobs it takes `speed`). */
const COUNTED_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'speed', 'context_management', 'mcp_servers'] as const;

/** `{"data": [{"id": "claude-..."}], "has_more": ...}` -> ids; undefined when it has no `data` array. */
export function parseAnthropicModelList(body: unknown): string[] | undefined {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === 'string').sort();
}

/**
 * The most output tokens a non-streamed Messages request may ask for: the official SDKs refuse
 * longer ones (an answer expected to take over 10 minutes at 128k tokens an hour must stream).
 */
export const MAX_WHOLE_OUTPUT_TOKENS = 21_333;

/** The Messages API over HTTP: `POST {base_url}/v1/messages` (streamed unless `whole`); `GET {base_url}/v1/models`. */
export function anthropicProtocol(row: BackendRow, defaults: KindDefaults): HttpProtocol {
  const o = anthropicOptions(row);
  return {
    ...(defaults.keyEnv ? { defaultKeyEnv: defaults.keyEnv } : {}),
    requiresKey: defaults.keyEnv !== undefined,
    identity: presentedIdentity(defaults),
    reasoning: ANTHROPIC_REASONING,
    // A trailing assistant message is a prefill: the model continues it.
    prefill: true,
    defaultModels: defaults.models,
    // tool_use ids: `^[a-zA-Z0-9_-]+$` (Kimi's `functions.Bash:0` is a 400); no length is documented.
    callIds: { chars: 'portable', max: 128 },
    searchResults: true,
    documentContext: true,
    toolReferences: true,
    // A long turn of server tools (web search) may pause (`pause_turn`): it is continued for the
    // client. Not when the call declares another server tool or asks for other hosted work (code
    // execution, web fetch, tool search, the advisor, MCP servers, server-side compaction: only an
    // Anthropic client can): that client gets the pause as Anthropic sends it and continues the
    // turn itself, with the container the answer named, as it would without lip.
    pausedTurns: {
      applies: (call) => webSearchTool(call) !== undefined && !call.tools.some((t) => t.kind === 'hosted') && hostedKnobs(call.providerOptions).length === 0,
      paused: (event) => event.raw === 'pause_turn',
      reasoningDialect: REASONING_DIALECTS.anthropicThinking,
      // A search run in a container (newer web search versions) continues in that container.
      carry: (call, records) => {
        const container = records.find((r) => r.dialect === HOSTED_DIALECTS.anthropic)?.block?.id;
        if (typeof container !== 'string' || call.providerOptions?.anthropic?.container !== undefined) return call;
        return { ...call, providerOptions: { ...call.providerOptions, anthropic: { ...call.providerOptions?.anthropic, container } } };
      },
    },
    generate: (call, target, key) => ({
      method: 'POST',
      url: endpointUrl(o.baseUrl, '/v1/messages'),
      headers: anthropicHeaders(o, key, target.whole ? 'application/json' : 'text/event-stream', call.betas),
      body: JSON.stringify(encodeAnthropicRequest(o.cacheEnrollment ? enrollInCache(call, o.cacheEnrollment) : call, target.model, o, !target.whole, target.outputCeiling)),
    }),
    decoder: (_call, _target, secrets) => new AnthropicStreamDecoder(row.id, secrets),
    response: (_call, _target, secrets) => new AnthropicResponseDecoder(row.id, secrets),
    // An upper bound of the max_tokens the request will carry (thinking may raise it, see encode-request.ts).
    acceptsWhole: (call) => (call.options.maxOutputTokens ?? o.defaultMaxTokens) + (thinkingBudget(call) ?? 0) <= MAX_WHOLE_OUTPUT_TOKENS,
    statusError: (status, text, headers, wait, secrets) => classifyAnthropicStatus(row.id, status, text, headers, wait, secrets),
    countTokens: {
      request: (call, model, key) => ({
        method: 'POST', url: endpointUrl(o.baseUrl, '/v1/messages/count_tokens'), headers: anthropicHeaders(o, key, 'application/json', call.betas),
        body: JSON.stringify(pick(encodeAnthropicRequest(call, model, o, false), COUNTED_FIELDS)),
      }),
      parse: (body) => countAt(body, 'input_tokens'),
    },
    models: {
      request: (key) => ({ method: 'GET', url: endpointUrl(o.baseUrl, '/v1/models?limit=1000'), headers: anthropicHeaders(o, key, 'application/json') }),
      parse: parseAnthropicModelList,
    },
  };
}

export const ANTHROPIC_DEFAULTS: KindDefaults = { keyEnv: 'ANTHROPIC_API_KEY', models: ['claude-sonnet-4-6'] };

/** Builds a Messages API backend for a row (the BackendFactory of this protocol). */
export function anthropicBackend(row: BackendRow, deps: BackendDeps, defaults: KindDefaults = ANTHROPIC_DEFAULTS): Backend {
  return new HttpBackend(row, deps, row.kind, anthropicProtocol(row, defaults));
}

/** The row's own `anthropic-beta` features (its `headers`) and the client's, each once. */
function withBetas(configured: string | undefined, betas: readonly string[]): string {
  const own = configured === undefined ? [] : configured.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  return [...new Set([...own, ...betas])].join(',');
}
