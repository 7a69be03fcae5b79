import type { TokenAlternative, TokenLogprob } from '../canonical/index.js';

/** At most this many alternatives per token (the Chat, Responses and Gemini limit alike). */
const MAX_TOP_LOGPROBS = 20;

/** The request-schema entry of a count of alternatives per token. */
export const TOP_LOGPROBS_SCHEMA: Record<string, unknown> = { type: ['integer', 'null'], minimum: 0, maximum: MAX_TOP_LOGPROBS };

function wireToken(t: TokenAlternative): { token: string; logprob: number; bytes: number[] } {
  return { token: t.token, logprob: t.logprob, bytes: t.bytes !== undefined ? [...t.bytes] : [...Buffer.from(t.token, 'utf8')] };
}

/**
 * Canonical token log probabilities in the Chat and Responses shape (the same in both):
 * `[{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]`. A token without the
 * provider's bytes gets its UTF-8 bytes.
 */
export function wireLogprobs(list: readonly TokenLogprob[]): Record<string, unknown>[] {
  return list.map((t) => ({ ...wireToken(t), top_logprobs: (t.top ?? []).map(wireToken) }));
}

/** Canonical token log probabilities as a Gemini candidate's `logprobsResult` (chosen tokens, each step's top candidates). */
export function geminiLogprobsResult(list: readonly TokenLogprob[]): Record<string, unknown> {
  const entry = (t: TokenAlternative) => ({ token: t.token, logProbability: t.logprob });
  return { topCandidates: list.map((t) => ({ candidates: (t.top ?? []).map(entry) })), chosenCandidates: list.map(entry) };
}
