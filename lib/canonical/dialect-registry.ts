/**
 * Reasoning dialects: which provider format a reasoning payload belongs to. Backends replay a
 * reasoning part verbatim only in their own dialect; unknown dialects are legal and simply not
 * replayed. This file is the one place in canonical/ that names providers. A client of another
 * protocol carries a dialect's signatures and opaque payloads home sealed with the dialect
 * (lib/frontends/state-envelope.ts), so they reach only a backend of that dialect.
 * Bedrock's Claude models speak Anthropic's dialects: Anthropic documents thinking signatures
 * as valid across the Claude API, Bedrock and Vertex AI.
 */
export const REASONING_DIALECTS = {
  openaiChat: 'openai.chat.reasoning_content',
  openaiResponses: 'openai.responses.reasoning',
  anthropicThinking: 'anthropic.thinking',
  anthropicRedacted: 'anthropic.redacted_thinking',
  geminiThought: 'gemini.thought',
} as const;
