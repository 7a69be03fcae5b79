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

const CHAT_REPLAYED: ReasoningReplay = { label: REASONING_DIALECTS.openaiChat, replays: new Set([REASONING_DIALECTS.openaiChat]), plainText: true };
const CHAT_DROPPED: ReasoningReplay = { label: REASONING_DIALECTS.openaiChat, replays: new Set() };

/**
 * Chat Completions: its reasoning text (and plain reasoning text of other dialects), replayed
 * only when the row names a field for it (`reasoning_field`; encode-request.ts `replaysAsChat`).
 */
export function chatReasoning(field: string): ReasoningReplay {
  return field === 'none' ? CHAT_DROPPED : CHAT_REPLAYED;
}
