import type { TokenAlternative, TokenLogprob } from '../canonical/index.js';

type Json = Record<string, unknown>;

/** A `{token, logprob, bytes?}` entry of an upstream answer, or undefined when it is not one. */
function alternative(entry: unknown): TokenAlternative | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Json;
  if (typeof e.token !== 'string' || typeof e.logprob !== 'number') return undefined;
  const bytes = Array.isArray(e.bytes) && e.bytes.every((b) => typeof b === 'number') ? { bytes: e.bytes as number[] } : {};
  return { token: e.token, logprob: e.logprob, ...bytes };
}

/**
 * The Chat and Responses APIs' token log probabilities (`[{token, logprob, bytes, top_logprobs:
 * [{token, logprob, bytes}]}]`, the same shape in both) as canonical entries; entries of another
 * shape are skipped, and a value that is not a list gives none.
 */
export function chatLogprobs(list: unknown): TokenLogprob[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: TokenLogprob[] = [];
  for (const entry of list) {
    const token = alternative(entry);
    if (token === undefined) continue;
    const top = (entry as Json).top_logprobs;
    const alternatives = Array.isArray(top) ? top.map(alternative).filter((a): a is TokenAlternative => a !== undefined) : [];
    out.push(alternatives.length > 0 ? { ...token, top: alternatives } : token);
  }
  return out.length > 0 ? out : undefined;
}
