import { parseDuration, parseSize } from './units.js';

/**
 * What the config schema's own keywords (`lipDuration`, `lipSize`, `lipUrl`) call while a
 * config is validated. The validators reach these through the name `KEYWORD_HELPERS_MODULE`,
 * so that a validator compiled at build time (lib/wire/precompiled-validators.ts) calls the same functions as one
 * compiled at run time.
 */
export const KEYWORD_HELPERS = {
  /** Milliseconds, or undefined when the value is not a duration. */
  duration: (value: unknown): number | undefined => (typeof value === 'string' ? parseDuration(value) : undefined),
  /** Bytes, or undefined when the value is not a size. */
  size: (value: unknown): number | undefined => (typeof value === 'string' || typeof value === 'number' ? parseSize(value) : undefined),
  /** Why `value` is not a URL with one of `schemes` and a host (the whole message), or undefined. */
  urlMessage(value: unknown, schemes: readonly string[]): string | undefined {
    const problem = urlProblem(value, schemes);
    if (problem === undefined) return undefined;
    const example = schemes.includes('https') ? 'https://api.example.com/v1' : `${schemes[0]}://127.0.0.1:6379`;
    return `must be ${schemes[0]!.startsWith('h') ? 'an' : 'a'} ${schemes.map((s) => `${s}://`).join(' or ')} URL such as ${example}: ${problem} (got ${shown(value)})`;
  },
  shown,
};

/**
 * A config value as a message names it (`got ...`): a list, a mapping, binary data (`!!binary`),
 * a number YAML read as infinite (`.inf`, `1e400`: JSON would write it as `null`), else its JSON.
 */
export function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN (not a number)' : `${value} (a number out of range)`;
  return JSON.stringify(value);
}

/** The module name a validator's code asks for to get `KEYWORD_HELPERS`. */
export const KEYWORD_HELPERS_MODULE = 'lip:config-keywords';

/** Why `value` is not a URL with one of `schemes` and a host, or undefined. */
function urlProblem(value: unknown, schemes: readonly string[]): string | undefined {
  if (typeof value !== 'string') return 'not text';
  if (/\s/.test(value)) return 'it contains white space';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'it is not a valid URL';
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) return `the scheme is ${url.protocol.slice(0, -1)}`;
  if (url.hostname === '') return 'it names no host';
  if (value.includes('#')) return 'it has a fragment (#...), which no request carries';
  return undefined;
}
