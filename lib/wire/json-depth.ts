import { LipError } from '../errors/index.js';

/** Deepest nesting accepted in client JSON: the request body and JSON text carried inside it. */
export const MAX_REQUEST_DEPTH = 128;
/** Deepest nesting accepted in a value an upstream sends (tool-call arguments and the like). */
export const MAX_UPSTREAM_DEPTH = 256;

/**
 * The index of the `"` that closes a JSON string whose contents start at `from`, or -1 when the
 * text ends inside the string. Jumps from quote to quote with `indexOf` and counts the
 * backslashes before each, so a long string costs one native scan, not a loop per character.
 */
export function closingQuote(text: string, from: number): number {
  for (let j = from; ;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let k = q - 1;
    while (k >= j && text.charCodeAt(k) === 92) k--;
    if (((q - 1 - k) & 1) === 0) return q;
    j = q + 1;
  }
}

/**
 * Incremental nesting meter for JSON text that arrives in pieces (tool-call argument deltas):
 * counts `[`/`{` against `]`/`}` outside strings, carrying the open string and a pending escape
 * across pieces. Linear in the text, no recursion, no parsing. Invalid JSON is measured as far
 * as it goes (a stray `]` never makes the depth negative).
 *
 * ```ts
 * const meter = new JsonDepthMeter(2);
 * meter.push('{"a":[');   // -1: depth 2 is allowed
 * meter.push('"[[["');    // -1: brackets inside a string do not count
 * meter.push('{');        // 0: the offset in this piece where depth 3 was reached
 * ```
 * @see spec/wire/json-depth.spec.ts
 */
export class JsonDepthMeter {
  private depth = 0;
  private inString = false;
  private escapePending = false;

  constructor(readonly limit: number) {}

  /** Feeds the next piece; returns the offset in it where nesting first went past the limit, or -1. */
  push(text: string): number {
    const n = text.length;
    if (n === 0) return -1;
    let i = 0;
    if (this.inString) {
      i = this.skipString(text, 0);
      if (i < 0) return -1;
      i++;
    }
    let depth = this.depth;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        const q = this.skipString(text, i + 1);
        if (q < 0) break;
        i = q;
      } else if (c === 123 || c === 91) {
        if (++depth > this.limit) {
          this.depth = depth;
          return i;
        }
      } else if ((c === 125 || c === 93) && depth > 0) {
        depth--;
      }
    }
    this.depth = depth;
    return -1;
  }

  /** Like closingQuote, remembering an unfinished string (and a trailing backslash) for the next piece. */
  private skipString(text: string, from: number): number {
    let start = from;
    if (this.escapePending) {
      this.escapePending = false;
      start++;
    }
    const q = start > text.length ? -1 : closingQuote(text, start);
    this.inString = q < 0;
    if (q < 0) {
      let k = text.length - 1;
      while (k >= start && text.charCodeAt(k) === 92) k--;
      this.escapePending = ((text.length - 1 - k) & 1) === 1;
    }
    return q;
  }
}

/** Where JSON text first nests deeper than `limit` (the offending bracket's offset), or -1. */
export function jsonTextTooDeep(text: string, limit: number): number {
  return new JsonDepthMeter(limit).push(text);
}

/**
 * Whether a parsed value nests deeper than `limit` (a scalar is depth 0, `{}` and `[]` depth 1).
 * Iterative, with an explicit stack; stops as soon as the answer is known.
 */
export function valueTooDeep(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop() as object;
    const d = depths.pop()!;
    if (d > limit) return true;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(d + 1);
      }
    }
  }
  return false;
}

/**
 * The 400 for JSON text inside client input (tool-call arguments, tool results) nested deeper
 * than MAX_REQUEST_DEPTH: callers check with jsonTextTooDeep before they parse such text, so
 * nothing downstream (serialisation, schema walks) can overflow the stack. `param`: the request
 * field that holds it, when the caller knows it (a frontend's decoder does; a backend does not).
 */
export function requestTooDeep(what: string, param?: string): LipError {
  if (param === undefined) return new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `${what} nests deeper than ${MAX_REQUEST_DEPTH} levels`);
  return new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `${param}: ${what} nests deeper than ${MAX_REQUEST_DEPTH} levels`, { param });
}

/**
 * A tool call's argument text from a client request, refused (400 naming `param`) when it nests
 * deeper than MAX_REQUEST_DEPTH, as the request body would be: the arguments of Chat and
 * Responses are JSON text inside a string, which the body's own depth limit does not see.
 */
export function requestArguments<T>(args: T, param: string): T {
  if (typeof args === 'string' && jsonTextTooDeep(args, MAX_REQUEST_DEPTH) >= 0) throw requestTooDeep("a tool call's arguments", param);
  return args;
}

/** Upstream JSON text shorter than this cannot nest deep enough to cost much to parse. */
const SCAN_FROM_CHARS = 4 * 1024;
/** Levels a provider's frame adds around a value (tool-call arguments sit a few levels deep). */
const ENVELOPE_DEPTH = 16;

/**
 * Refuses upstream JSON text (an SSE frame, a whole answer) nested deeper than
 * MAX_UPSTREAM_DEPTH plus 16 levels of the provider's own envelope, before `JSON.parse` sees
 * it: V8 parses deep nesting about ten times slower than flat data (the 8 million levels a
 * 16 MiB line can hold block the event loop for seconds). Text under 4 KiB is not scanned (at
 * most 2,000 levels: well under a millisecond), so ordinary frames cost nothing; larger ones
 * cost one linear scan that skips strings natively.
 * @throws LipError LIP_ERR_UPSTREAM_LIMIT_EXCEEDED (upstreamTooDeep).
 */
export function checkUpstreamJson(backendId: string, text: string, what = 'a frame'): void {
  if (text.length >= SCAN_FROM_CHARS && jsonTextTooDeep(text, MAX_UPSTREAM_DEPTH + ENVELOPE_DEPTH) >= 0) throw upstreamTooDeep(backendId, what, MAX_UPSTREAM_DEPTH + ENVELOPE_DEPTH);
}

/**
 * The attempt failure for an upstream value nested deeper than MAX_UPSTREAM_DEPTH: retryable,
 * 502, raised inside the backend's decoder so that failover can move on before output.
 */
export function upstreamTooDeep(backendId: string, what: string, limit = MAX_UPSTREAM_DEPTH): LipError {
  return new LipError('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', `backend "${backendId}": ${what} nests deeper than ${limit} levels`, {
    detail: { backend: backendId },
  });
}
