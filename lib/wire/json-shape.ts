import { LipError } from '../errors/index.js';
import { closingQuote, MAX_REQUEST_DEPTH } from './json-depth.js';
import { lineColumn } from './json-position.js';

/** Structural limits of a client's JSON body, checked before `JSON.parse` (docs/reliability.md). */
export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects (`{}` is depth 1). */
  readonly maxDepth: number;
  /** Most elements of one array, or members of one object. */
  readonly maxElements: number;
  /** Longest object key, in characters of the JSON text (escapes counted as written). */
  readonly maxKeyChars: number;
  /** Most tokens in the whole text (strings, numbers, literals, brackets and braces). */
  readonly maxTokens: number;
  /** Longest number literal, in characters. */
  readonly maxNumberChars: number;
}

export const REQUEST_JSON_LIMITS: JsonShapeLimits = Object.freeze({
  maxDepth: MAX_REQUEST_DEPTH,
  maxElements: 100_000,
  maxKeyChars: 16 * 1024,
  maxTokens: 1_000_000,
  maxNumberChars: 1024 * 1024,
});

/**
 * Checks the shape of a JSON text in one linear pass, before anything parses or walks it:
 * nesting depth, elements per container, key length, token count and number length. Brackets and commas inside strings do
 * not count (strings are skipped with `indexOf`, so a body of long texts costs little more
 * than the native scan). No recursion, no allocation beyond two small arrays of `maxDepth`.
 * Malformed JSON is scanned as far as it goes; `JSON.parse` reports its syntax afterwards.
 *
 * ```ts
 * checkJsonShape('{"a":[[1]]}');                     // fine
 * checkJsonShape('['.repeat(200) + ']'.repeat(200));  // throws: nests deeper than 128 levels (line 1, column 129)
 * ```
 * @throws LipError LIP_ERR_REQUEST_LIMIT_EXCEEDED (400) naming the limit and the line and column.
 * @see spec/wire/json-shape.spec.ts
 */
export function checkJsonShape(text: string, limits: JsonShapeLimits = REQUEST_JSON_LIMITS): void {
  const { maxDepth, maxElements, maxKeyChars, maxTokens, maxNumberChars } = limits;
  // Per open container: commas seen so far, and whether it is an object.
  const commas = new Int32Array(maxDepth + 2);
  const isObject = new Uint8Array(maxDepth + 2);
  const n = text.length;
  let depth = 0;
  let expectKey = false;
  let tokens = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 44 && depth === 0 || c === 58) continue; // whitespace, colon
    if (c !== 44 && ++tokens > maxTokens) throw exceeded(text, i, `the JSON has more than ${maxTokens} tokens`);
    if (c === 34) { // "
      const q = endOfString(text, i + 1);
      if (q < 0) return; // unterminated: JSON.parse reports it
      if (expectKey && q - i - 1 > maxKeyChars) throw exceeded(text, i, `an object key is longer than ${maxKeyChars} characters`);
      expectKey = false;
      i = q;
    } else if (c === 123 || c === 91) { // { [
      if (++depth > maxDepth) throw exceeded(text, i, `the JSON nests deeper than ${maxDepth} levels`);
      commas[depth] = 0;
      isObject[depth] = c === 123 ? 1 : 0;
      expectKey = c === 123;
    } else if (c === 44) { // ,
      if (depth === 0) continue;
      if (++commas[depth]! >= maxElements) {
        throw exceeded(text, i, `${isObject[depth] ? 'an object has more than' : 'an array has more than'} ${maxElements} ${isObject[depth] ? 'members' : 'elements'}`);
      }
      expectKey = isObject[depth] === 1;
    } else if (c === 125 || c === 93) { // } ]
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === 45 || (c >= 48 && c <= 57)) { // a number: - or a digit
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      if (j - i > maxNumberChars) throw exceeded(text, i, `a number is longer than ${maxNumberChars} characters`);
      i = j - 1;
    } else { // true, false, null (or garbage JSON.parse reports): one token
      let j = i + 1;
      while (j < n && isLetter(text.charCodeAt(j))) j++;
      i = j - 1;
    }
  }
}

/** Digits, `.`, `e`/`E`, `+`, `-`. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** The closing quote of a string starting at `from`: short strings by hand, long ones natively. */
function endOfString(text: string, from: number): number {
  const n = text.length;
  const stop = Math.min(n, from + 24);
  let j = from;
  while (j < stop) {
    const d = text.charCodeAt(j);
    if (d === 34) return j;
    j += d === 92 ? 2 : 1;
  }
  return j >= n ? -1 : closingQuote(text, j);
}

function exceeded(text: string, offset: number, what: string): LipError {
  const { line, column } = lineColumn(text, offset);
  return new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `request body limit exceeded: ${what} (line ${line}, column ${column})`, {
    detail: { offset, line, column },
  });
}
