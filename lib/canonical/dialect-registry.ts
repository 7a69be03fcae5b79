/**
 * Reasoning dialects: which provider format a reasoning payload belongs to. Backends replay a
 * reasoning part verbatim only in their own dialect; unknown dialects are legal and simply not
 * replayed. This file is the one place in canonical/ that names providers.
 */
export const REASONING_DIALECTS = {
  openaiChat: 'openai.chat.reasoning_content',
  openaiResponses: 'openai.responses.reasoning',
  anthropicThinking: 'anthropic.thinking',
  anthropicRedacted: 'anthropic.redacted_thinking',
  geminiThought: 'gemini.thought',
} as const;
