import { isDigit, type Cursor } from './cursor.js';
import type { Entry } from './parse-entries.js';

/** Timers beyond 2^31-1 ms fire at once in Node.js (and in RxJS's async scheduler). */
export const MAX_DURATION_MS = 2_147_483_647;
export const MAX_WEIGHT = 1_000_000;
export const MAX_TOKENS = 1_000_000_000;

// Maps, not objects: a unit is the client's text, and `5constructor` must find nothing.
const DURATION_UNITS: ReadonlyMap<string, number> = new Map([['', 1_000], ['ms', 1], ['s', 1_000], ['m', 60_000]]);
const TOKEN_UNITS: ReadonlyMap<string, number> = new Map([['', 1], ['k', 1_000], ['m', 1_000_000]]);

/** Leading decimal digits of `text`: their count and value (undefined beyond 15 digits). */
function digits(text: string): { length: number; value: number | undefined } {
  let n = 0;
  while (n < text.length && isDigit(text.charCodeAt(n))) n++;
  return { length: n, value: n === 0 || n > 15 ? undefined : Number(text.slice(0, n)) };
}

/** The entry's value, or a failure naming the key when it is bare or empty. */
export function requireValue(c: Cursor, entry: Entry, example: string): string {
  if (entry.value === undefined || entry.value === '') c.fail(`${entry.written} needs a value, as in ${example}`, entry.valueOffset);
  return entry.value;
}

/**
 * A duration in milliseconds: `250ms`, `2s`, `1m`, or a bare integer meaning seconds. Must be
 * a positive integer count of its unit, at most 2^31-1 ms.
 */
export function durationValue(c: Cursor, entry: Entry, example: string): number {
  const text = requireValue(c, entry, example);
  const { length, value } = digits(text);
  const unit = DURATION_UNITS.get(text.slice(length).toLowerCase());
  if (length === 0 || unit === undefined) {
    const hint = text.includes('.') ? ' (use a whole number, for example 1500ms instead of 1.5s)' : '';
    c.fail(`${entry.written} must be a duration such as 250ms, 2s or 2 (seconds), got "${text}"${hint}`, entry.valueOffset);
  }
  if (value === 0) c.fail(`${entry.written} must be positive, got "${text}"`, entry.valueOffset);
  const ms = value === undefined ? Infinity : value * unit;
  if (ms > MAX_DURATION_MS) c.fail(`${entry.written} is too large, got "${text}" (at most ${MAX_DURATION_MS}ms)`, entry.valueOffset);
  return ms;
}

/** A token count: a positive integer, optionally ending in K (thousands) or M (millions). */
export function tokensValue(c: Cursor, entry: Entry): number {
  const text = requireValue(c, entry, `[${entry.key}=200K]`);
  const { length, value } = digits(text);
  const unit = TOKEN_UNITS.get(text.slice(length).toLowerCase());
  if (length === 0 || unit === undefined) c.fail(`${entry.written} must be a token count such as 8192, 200K or 1M, got "${text}"`, entry.valueOffset);
  if (value === 0) c.fail(`${entry.written} must be positive, got "${text}"`, entry.valueOffset);
  const tokens = value === undefined ? Infinity : value * unit;
  if (tokens > MAX_TOKENS) c.fail(`${entry.written} is too large, got "${text}" (at most ${MAX_TOKENS} tokens)`, entry.valueOffset);
  return tokens;
}

/** A positive integer up to `max`. */
export function positiveIntValue(c: Cursor, entry: Entry, max: number, example: string): number {
  const text = requireValue(c, entry, example);
  const { length, value } = digits(text);
  if (length === 0 || length !== text.length) c.fail(`${entry.written} must be a positive integer, got "${text}"`, entry.valueOffset);
  if (value === 0) c.fail(`${entry.written} must be positive, got "${text}"`, entry.valueOffset);
  if (value === undefined || value > max) c.fail(`${entry.written} is too large, got "${text}" (at most ${max})`, entry.valueOffset);
  return value;
}

/** Fails when a key that takes no value was given one (`[first=yes]`). */
export function noValue(c: Cursor, entry: Entry): void {
  if (entry.value !== undefined) c.fail(`${entry.written} takes no value (write [${entry.key}])`, entry.valueOffset);
}
