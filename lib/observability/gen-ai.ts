/**
 * The OpenTelemetry GenAI vocabulary lip speaks (semantic conventions, `gen_ai.*`): which
 * provider name and operation name a backend kind stands for. Plain strings here, so that
 * metrics and logs need no OpenTelemetry package; tracing takes the attribute keys from
 * `@opentelemetry/semantic-conventions/incubating` and a spec checks that the values agree.
 */

/** `gen_ai.provider.name` per backend kind (well-known values, else the kind's own name). */
const PROVIDERS: Readonly<Record<string, string>> = {
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  'custom-openai-chat': 'openai',
  'custom-openai-responses': 'openai',
  anthropic: 'anthropic',
  'custom-anthropic': 'anthropic',
  gemini: 'gcp.gemini',
  bedrock: 'aws.bedrock',
};

/** The provider name of a backend kind: a GenAI well-known value, else the kind (`ollama`, `localstub`). */
export function providerName(kind: string): string {
  return PROVIDERS[kind] ?? kind.replace(/-/g, '_');
}

/** `gen_ai.operation.name`: Gemini's API is `generate_content`; the others are chats. */
export function operationName(kind: string): string {
  return kind === 'gemini' ? 'generate_content' : 'chat';
}

/** The names of the GenAI metrics (semantic conventions) and their Prometheus form in lip. */
export const GEN_AI_METRICS = {
  tokenUsage: { semconv: 'gen_ai.client.token.usage', prometheus: 'lip_gen_ai_client_token_usage' },
  operationDuration: { semconv: 'gen_ai.client.operation.duration', prometheus: 'lip_gen_ai_client_operation_duration_seconds' },
  requestDuration: { semconv: 'gen_ai.server.request.duration', prometheus: 'lip_gen_ai_server_request_duration_seconds' },
  timeToFirstToken: { semconv: 'gen_ai.server.time_to_first_token', prometheus: 'lip_gen_ai_server_time_to_first_token_seconds' },
  timePerOutputToken: { semconv: 'gen_ai.server.time_per_output_token', prometheus: 'lip_gen_ai_server_time_per_output_token_seconds' },
} as const;

/** Response headers that carry the upstream's own request id, most specific first. */
export const UPSTREAM_REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid', 'x-amz-request-id', 'apim-request-id', 'x-goog-request-id', 'cf-ray'] as const;

/** The upstream's request id among response headers (first of UPSTREAM_REQUEST_ID_HEADERS), cut to 128 characters. */
export function upstreamRequestId(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  for (const name of UPSTREAM_REQUEST_ID_HEADERS) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && text !== '') return text.length > 128 ? text.slice(0, 128) : text;
  }
  return undefined;
}
