import type { ApiKeyConfig } from '../config/index.js';
import { LipError } from '../errors/index.js';

/** The candidates one API key may be served by (`auth.api_keys[].allow`). */
export interface CandidateAllow {
  readonly keyId: string;
  /** True when `backend:model` matches one of the key's patterns. */
  allows(backend: string, model: string): boolean;
}

const compiled = new WeakMap<ApiKeyConfig, CandidateAllow | null>();

/**
 * The allow list of `key`, compiled once per config row; undefined for a key without one (it may
 * use every candidate) and for a request without a key. A pattern is `backend:model` with `*`
 * for any run of characters (`openai:*`, `*:gpt-4o-mini`, `anthropic:claude-*`); a pattern
 * without `:` names a backend and all its models. Models are matched as routing resolves them
 * (after aliases), without a leaf's `?query`.
 *
 * ```ts
 * candidateAllow({ id: 'ci', allow: ['localstub', 'openai:gpt-4o-*'] })!.allows('openai', 'gpt-4o-mini') // true
 * ```
 */
export function candidateAllow(key: ApiKeyConfig | undefined): CandidateAllow | undefined {
  if (key?.allow === undefined) return undefined;
  let allow = compiled.get(key);
  if (allow === undefined) {
    const patterns = key.allow.map((p) => globMatcher(p.includes(':') ? p : `${p}:*`));
    allow = { keyId: key.id, allows: (backend, model) => patterns.some((matches) => matches(`${backend}:${model}`)) };
    compiled.set(key, allow);
  }
  return allow ?? undefined;
}

/** The 403 of a route none of whose candidates the key may use (`candidates`: their keys). */
export function candidatesForbidden(allow: CandidateAllow, candidates: readonly string[]): LipError {
  const shown = candidates.slice(0, 8).join(', ') + (candidates.length > 8 ? `, … (${candidates.length} in all)` : '');
  return new LipError('LIP_ERR_AUTH_CANDIDATE_FORBIDDEN', `API key "${allow.keyId}" may not use any candidate of this route (${shown}); auth.api_keys[].allow lists what it may use`, { param: 'model' });
}

/** The reason a route's journal gives for a candidate the key may not use. */
export function notAllowed(allow: CandidateAllow): string {
  return `not allowed for API key "${allow.keyId}"`;
}

/**
 * A test of whole strings against `pattern`, `*` any run of characters (empty too) and every
 * other character itself. Linear in the text: the pieces between stars are found in order, each
 * leftmost, and nothing backtracks (a regex `.*` does, quadratically or worse, on the client's
 * model name).
 */
function globMatcher(pattern: string): (text: string) => boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return (text) => text === pattern;
  const head = pieces[0]!;
  const tail = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1);
  return (text) => {
    if (text.length < head.length + tail.length || !text.startsWith(head) || !text.endsWith(tail)) return false;
    const end = text.length - tail.length;
    let at = head.length;
    for (const piece of middle) {
      const found = text.indexOf(piece, at);
      if (found === -1 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return true;
  };
}
