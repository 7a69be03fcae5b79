/**
 * The OpenTelemetry GenAI vocabulary of the metrics and logs (semantic conventions,
 * `gen_ai.*`), as plain strings so that they need no OpenTelemetry package; tracing takes its
 * attribute keys from `@opentelemetry/semantic-conventions/incubating`, and a spec checks that
 * these names agree with it. Provider and operation names per backend kind live with the
 * backends (lib/backends/gen-ai/registry.ts).
 */

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
