/**
 * Syntax repairs of tool-call arguments: append-only completion of truncated JSON, and removal
 * of one dangling terminal comma. Neither changes or reorders a byte the model sent (except
 * the one comma); completion only closes strings and containers and finishes a literal
 * (`tru` -> `true`). A tail that would need invented content (a half number, a key without a
 * value below the root, a cut escape) is not completed.
 */

/** A root property whose key arrived but whose value did not: `{"a":1,"mode"` or `..."mode":`. */
export interface PendingProperty {
  readonly key: string;
  /** The text up to and including `"key":` (the colon added when missing). */
  readonly head: string;
  /** What closes the document after the value. */
  readonly closers: string;
}

export type Completion = { readonly text: string } | { readonly pending: PendingProperty } | undefined;

const LITERALS = ['true', 'false', 'null'];
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Scans `text` as a prefix of a JSON document and completes it by appending only. */
export function completeJson(text: string): Completion {
  const stack: ('{' | '[')[] = [];
  // value: a value is expected; key: a key (or `}` after `{`); colon; next: `,` or a closer; end: done.
  let expect: 'value' | 'key' | 'colon' | 'next' | 'end' = 'value';
  let afterComma = false;
  let keyStart = -1;
  let lastKey = '';
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') { i++; continue; }
    if (ch === '"') {
      if (expect !== 'value' && expect !== 'key') return undefined;
      const isKey = expect === 'key';
      const start = i;
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (c === '\\') {
          if (i + 1 >= n) return undefined; // a cut escape
          if (text[i + 1] === 'u' && !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return undefined;
          i += text[i + 1] === 'u' ? 6 : 2;
          continue;
        }
        if (c === '"') { closed = true; i++; break; }
        i++;
      }
      if (!closed) {
        if (isKey) return undefined; // a cut key: its name is not known
        return finish(text + '"', stack);
      }
      afterComma = false;
      if (isKey) {
        keyStart = start;
        lastKey = JSON.parse(text.slice(start, i)) as string;
        expect = 'colon';
      } else {
        expect = stack.length === 0 ? 'end' : 'next';
      }
      continue;
    }
    if (ch === '{' || ch === '[') {
      if (expect !== 'value') return undefined;
      stack.push(ch);
      expect = ch === '{' ? 'key' : 'value';
      afterComma = false;
      i++;
      continue;
    }
    if (ch === '}' || ch === ']') {
      const top = stack[stack.length - 1];
      if ((ch === '}') !== (top === '{') || afterComma) return undefined;
      if (expect !== 'next' && !(ch === '}' && expect === 'key') && !(ch === ']' && expect === 'value')) return undefined;
      stack.pop();
      expect = stack.length === 0 ? 'end' : 'next';
      i++;
      continue;
    }
    if (ch === ',') {
      if (expect !== 'next') return undefined;
      expect = stack[stack.length - 1] === '{' ? 'key' : 'value';
      afterComma = true;
      i++;
      continue;
    }
    if (ch === ':') {
      if (expect !== 'colon') return undefined;
      expect = 'value';
      i++;
      continue;
    }
    if (expect !== 'value') return undefined;
    const m = /^[A-Za-z0-9+\-.]+/.exec(text.slice(i, i + 400));
    if (!m) return undefined;
    const token = m[0];
    i += token.length;
    afterComma = false;
    if (i >= n) {
      const literal = LITERALS.find((l) => l.startsWith(token));
      if (literal) return finish(text + literal.slice(token.length), stack);
      return NUMBER.test(token) ? finish(text, stack) : undefined;
    }
    if (!LITERALS.includes(token) && !NUMBER.test(token)) return undefined;
    expect = stack.length === 0 ? 'end' : 'next';
  }
  if (expect === 'end') return { text };
  if (expect === 'next') return finish(text, stack);
  if (afterComma) return undefined; // a dangling comma: removeDanglingComma
  if (expect === 'key') return finish(text, stack); // right after `{`
  if (stack.length === 1 && stack[0] === '{' && keyStart >= 0 && (expect === 'colon' || expect === 'value')) {
    return { pending: { key: lastKey, head: expect === 'colon' ? `${text.trimEnd()}:` : text, closers: '}' } };
  }
  if (expect === 'value' && stack[stack.length - 1] === '[') return finish(text, stack); // right after `[`
  return undefined;
}

function finish(text: string, stack: readonly string[]): { text: string } {
  let out = text;
  for (let k = stack.length - 1; k >= 0; k--) out += stack[k] === '{' ? '}' : ']';
  return { text: out };
}

/**
 * Removes one terminal dangling comma (`{"a":1,` or `{"a":1,}` or `[1,2,]}`): the last
 * structural comma, when only whitespace and closers follow it. Undefined when there is none.
 */
export function removeDanglingComma(text: string): string | undefined {
  let j = text.length - 1;
  while (j >= 0 && /[\s}\]]/.test(text[j]!)) j--;
  if (j < 0 || text[j] !== ',') return undefined;
  // The comma must be structural: the text before it must not end inside a string.
  if (insideString(text.slice(0, j))) return undefined;
  return text.slice(0, j) + text.slice(j + 1);
}

function insideString(prefix: string): boolean {
  let inString = false;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (inString && c === '\\') { i++; continue; }
    if (c === '"') inString = !inString;
  }
  return inString;
}
