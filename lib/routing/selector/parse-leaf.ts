import { parseRouteQuery } from '../params/parse-route-query.js';
import type { Leaf } from './ast.js';
import { CH, describeChar, isAlnum, isControl, isOperator, isSpace, type Cursor } from './cursor.js';

export type LeafBody = Pick<Leaf, 'backend' | 'model' | 'params' | 'rawQuery' | 'query' | 'canonicalQuery' | 'column'>;

const NO_QUERY = { query: Object.freeze({}), params: Object.freeze({}), canonical: '' };

/**
 * Reads `[backend:]model[?query]` at the cursor and leaves it on the operator (`|`, `^`, `!`)
 * that ends the leaf, or at the end. The path splits at its first `:` (models keep later
 * colons and slashes: `ollama:library/qwen3:8b`); a leading `:` writes a model-only leaf whose
 * model has colons (`:qwen3:8b`). Backend ids use letters, digits, `.`, `_` and `-`.
 *
 * Rejected, each at its column: brackets or braces inside a leaf (annotations go before it,
 * the global block at the very start), whitespace inside a leaf (a missing operator), control
 * characters, an empty model, an invalid backend id, and every query problem.
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export function parseLeaf(c: Cursor): LeafBody {
  const text = c.text;
  const start = c.pos;
  let colon = -1;
  let at = start;
  for (; at < text.length; at++) {
    const ch = text.charCodeAt(at);
    if (isOperator(ch) || ch === CH.question || isSpace(ch)) break;
    if (ch === CH.colon) {
      if (colon < 0) colon = at;
    } else checkLeafChar(c, ch, at);
  }
  const pathEnd = at;
  const backend = colon > start ? text.slice(start, colon) : undefined;
  if (backend !== undefined) checkBackendId(c, backend, start);
  const modelStart = colon < 0 ? start : colon + 1;
  if (modelStart === pathEnd) {
    c.fail(colon < 0 ? 'missing model' : `missing model after "${text.slice(start, colon + 1)}"`, pathEnd);
  }
  let rawQuery = '';
  let parsed = NO_QUERY;
  if (at < text.length && text.charCodeAt(at) === CH.question) {
    const queryStart = at + 1;
    for (at = queryStart; at < text.length; at++) {
      const ch = text.charCodeAt(at);
      if (isOperator(ch) || isSpace(ch)) break;
      checkLeafChar(c, ch, at);
    }
    rawQuery = text.slice(queryStart, at);
    parsed = parseRouteQuery(text, queryStart, at);
  }
  c.pos = at;
  c.skipSpaces();
  if (!c.atEnd && !isOperator(c.peek())) {
    c.fail(`unexpected ${describeChar(c.peek())} after the leaf "${text.slice(start, at)}" (a missing "|", "^" or "!"?)`);
  }
  // Built field by field: object spread is an order of magnitude slower here.
  const leaf: { -readonly [K in keyof LeafBody]: LeafBody[K] } = {
    model: text.slice(modelStart, pathEnd),
    params: parsed.params,
    rawQuery,
    query: parsed.query,
    canonicalQuery: parsed.canonical,
    column: c.column(start),
  };
  if (backend !== undefined) leaf.backend = backend;
  return leaf;
}

/** Characters a leaf cannot contain, with the reason. */
function checkLeafChar(c: Cursor, ch: number, at: number): void {
  if (ch === CH.openBracket) c.fail('annotations go before the leaf, as in "[handicap=300ms]backend:model"', at);
  if (ch === CH.closeBracket) c.fail('unexpected "]" (no annotation block is open)', at);
  if (ch === CH.openBrace || ch === CH.closeBrace) c.fail('the global block {...} must stand at the very start of the selector', at);
  if (isControl(ch)) c.fail(`unexpected ${describeChar(ch)}`, at);
  if (ch >= 0xd800 && ch <= 0xdfff) {
    const paired = ch <= 0xdbff ? isLowSurrogate(c.text.charCodeAt(at + 1)) : isHighSurrogate(c.text.charCodeAt(at - 1));
    if (!paired) c.fail('unexpected lone surrogate (invalid UTF-16)', at);
  }
}

function isHighSurrogate(ch: number): boolean {
  return ch >= 0xd800 && ch <= 0xdbff;
}

function isLowSurrogate(ch: number): boolean {
  return ch >= 0xdc00 && ch <= 0xdfff;
}

function checkBackendId(c: Cursor, id: string, at: number): void {
  let ok = isAlnum(id.charCodeAt(0));
  for (let i = 1; ok && i < id.length; i++) {
    const ch = id.charCodeAt(i);
    ok = isAlnum(ch) || ch === 0x2e || ch === 0x5f || ch === 0x2d; // . _ -
  }
  if (!ok) {
    c.fail(`"${id}" is not a backend id (letters, digits, ".", "_" and "-"); for a model-only leaf whose model contains ":", start it with ":"`, at);
  }
}
