import { REASONING_DIALECTS } from '../canonical/index.js';
import type { ReasoningReplay } from './backend.js';

/** Anthropic Messages and Claude on Bedrock: signed thinking and redacted thinking. */
export const ANTHROPIC_REASONING: ReasoningReplay = {
  label: REASONING_DIALECTS.anthropicThinking,
  replays: new Set([REASONING_DIALECTS.anthropicThinking, REASONING_DIALECTS.anthropicRedacted]),
};

/** Gemini: thoughts and their `thoughtSignature`s. */
export const GEMINI_REASONING: ReasoningReplay = { label: REASONING_DIALECTS.geminiThought, replays: new Set([REASONING_DIALECTS.geminiThought]) };

/** OpenAI Responses (and the Codex endpoint): reasoning items, encrypted content with its `rs_` id. */
export const RESPONSES_REASONING: ReasoningReplay = { label: REASONING_DIALECTS.openaiResponses, replays: new Set([REASONING_DIALECTS.openaiResponses]) };

/**
 * Chat Completions: its reasoning text (and plain reasoning text of other dialects), replayed
 * only when the row names a field for it (`reasoning_field`; encode-request.ts `replaysAsChat`),
 * and OpenRouter's `reasoning_details` on a row that reads them (`reasoning_details: true`).
 */
export function chatReasoning(field: string, details = false): ReasoningReplay {
  const text = field !== 'none';
  const replays = new Set<string>([...(text ? [REASONING_DIALECTS.openaiChat] : []), ...(details ? [REASONING_DIALECTS.openrouterDetails] : [])]);
  return { label: REASONING_DIALECTS.openaiChat, replays, ...(text ? { plainText: true } : {}) };
}
