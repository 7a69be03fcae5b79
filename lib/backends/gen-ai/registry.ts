/**
 * What each backend kind is in the OpenTelemetry GenAI vocabulary: `gen_ai.provider.name` and
 * `gen_ai.operation.name` for spans and the `provider` label of the metrics. A kind not listed
 * is named after itself (`ollama`, `localstub`), which the conventions allow.
 * @see spec/observability/tracing.spec.ts (checked against @opentelemetry/semantic-conventions)
 */
const PROVIDERS: Readonly<Record<string, string>> = {
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  'openai-codex': 'openai',
  'custom-openai-chat': 'openai',
  'custom-openai-responses': 'openai',
  anthropic: 'anthropic',
  'custom-anthropic': 'anthropic',
  gemini: 'gcp.gemini',
  bedrock: 'aws.bedrock',
};

/** Kinds whose API operation is not a chat. */
const OPERATIONS: Readonly<Record<string, string>> = {
  gemini: 'generate_content',
};

/** The provider name of a backend kind: a GenAI well-known value, else the kind (dashes as underscores). */
export function providerName(kind: string): string {
  return PROVIDERS[kind] ?? kind.replace(/-/g, '_');
}

/** The operation name of a backend kind's generation call (`chat` unless listed). */
export function operationName(kind: string): string {
  return OPERATIONS[kind] ?? 'chat';
}
