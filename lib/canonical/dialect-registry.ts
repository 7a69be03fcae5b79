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

/**
 * Dialects whose opaque payload stands on its own and may be replayed without the reasoning
 * around it (an OpenAI encrypted reasoning item). Frontends of other protocols carry such
 * payloads across (lib/frontends/reasoning-envelope.ts). Anthropic redacted thinking is not one:
 * a turn's thinking blocks must come back complete and unmodified, signatures included.
 */
export const SELF_CONTAINED_REASONING: ReadonlySet<string> = new Set([REASONING_DIALECTS.openaiResponses]);
