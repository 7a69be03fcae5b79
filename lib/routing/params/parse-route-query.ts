import { SelectorError } from '../selector/selector-error.js';
import { encodeQuery } from './encode-query.js';
import { PARAM_SPECS, type RouteParamName, type RouteParams } from './route-params.js';

/** A leaf's query, decoded and checked. */
export interface RouteQuery {
  /** Every pair, decoded (`+` is a space), unknown keys included. */
  readonly query: Readonly<Record<string, string>>;
  /** The recognised overrides, validated. */
  readonly params: RouteParams;
  /** Keys sorted, percent-encoded: the query part of the candidate key. */
  readonly canonical: string;
}

/**
 * Parses the query of a leaf: `text.slice(start, end)` is what follows the `?`. Pairs are
 * `key=value` joined by `&` (`key` alone means an empty value), percent-decoded with `+` as a
 * space. Errors are SelectorErrors at the column of the offending pair, key, value or `%`:
 * an empty query or pair, `;` separators, a bad escape or invalid UTF-8, a duplicate key, an
 * invalid override value.
 *
 * ```
 * parseRouteQuery('a:m?top_p=0.9&x=a%20b', 4, 21)
 *   -> { query: { top_p: '0.9', x: 'a b' }, params: { topP: 0.9 }, canonical: 'top_p=0.9&x=a+b' }
 * ```
 * @see spec/routing/params/parse-route-query.spec.ts
 */
export function parseRouteQuery(text: string, start: number, end: number): RouteQuery {
  if (start >= end) throw SelectorError.at(text, start - 1, 'empty query after "?"');
  const query: Record<string, string> = {};
  const params: Partial<Record<RouteParamName, unknown>> = {};
  /** Which query key set each override (`top_p` and `topP` are the same one). */
  let seen: Partial<Record<RouteParamName, string>> | undefined;
  let pairStart = start;
  while (pairStart <= end) {
    let pairEnd = pairStart;
    let equals = -1;
    for (; pairEnd < end; pairEnd++) {
      const c = text.charCodeAt(pairEnd);
      if (c === 0x26) break; // &
      if (c === 0x3b) throw SelectorError.at(text, pairEnd, 'use "&" between query parameters, not ";"');
      if (c === 0x3d && equals < 0) equals = pairEnd; // =
    }
    if (pairEnd === pairStart) throw SelectorError.at(text, pairStart, 'empty query parameter');
    const keyEnd = equals < 0 ? pairEnd : equals;
    if (keyEnd === pairStart) throw SelectorError.at(text, pairStart, 'query parameter without a name');
    const key = decode(text, pairStart, keyEnd);
    const value = equals < 0 ? '' : decode(text, equals + 1, pairEnd);
    if (Object.prototype.hasOwnProperty.call(query, key)) throw SelectorError.at(text, pairStart, `duplicate query parameter "${key}"`);
    if (key === '__proto__') Object.defineProperty(query, key, { value, enumerable: true, writable: true, configurable: true });
    else query[key] = value;
    const spec = PARAM_SPECS.get(key);
    if (spec) {
      seen ??= {};
      const other = seen[spec.name];
      if (other !== undefined) throw SelectorError.at(text, pairStart, `"${key}" repeats "${other}" (the same override)`);
      seen[spec.name] = key;
      const parsed = spec.parse(value);
      if (parsed === undefined) throw SelectorError.at(text, equals < 0 ? pairEnd : equals + 1, `${key} must be ${spec.expects}, got "${value}"`);
      params[spec.name] = parsed;
    }
    pairStart = pairEnd + 1;
  }
  return { query, params: params as RouteParams, canonical: encodeQuery(query) };
}

/** Percent-decodes `text.slice(from, to)` (`+` is a space); errors point at the bad `%`. */
function decode(text: string, from: number, to: number): string {
  let plain = true;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= to || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) {
        throw SelectorError.at(text, i, `bad percent escape "${text.slice(i, Math.min(i + 3, to))}" (write %XX with two hex digits)`);
      }
      plain = false;
    } else if (c === 0x2b) plain = false;
  }
  const raw = text.slice(from, to);
  if (plain) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw SelectorError.at(text, from, `"${raw}" does not decode to valid UTF-8`);
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
